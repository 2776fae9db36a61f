import { z } from 'zod';

/**
 * Per-upstream limits and the restart policy: each server may set its own, over the gateway's
 * defaults, so that one slow or crashing upstream cannot hold the others' calls.
 */
export const Limits = z
  .strictObject({
    maxMessageBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .optional()
      .describe('Largest JSON-RPC message accepted in either direction, in bytes.'),
    maxDepth: z
      .number()
      .int()
      .min(4)
      .max(1000)
      .optional()
      .describe('Deepest JSON nesting accepted in either direction.'),
    callTimeoutMs: z
      .number()
      .int()
      .min(10)
      .max(3_600_000)
      .optional()
      .describe('Wall-clock limit of one upstream request, in milliseconds.'),
    maxConcurrentCalls: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .optional()
      .describe('Most requests in flight to one upstream; more are refused, not queued.'),
    listTimeoutMs: z
      .number()
      .int()
      .min(10)
      .max(600_000)
      .optional()
      .describe(
        'How long an aggregated list (tools, prompts, resources, templates) waits for this server, start included; past it the list answers without the server and the client gets list_changed once the server answers.',
      ),
  })
  .describe('Message and call limits.');

export const DEFAULT_LIMITS = {
  maxMessageBytes: 4 * 1024 * 1024,
  maxDepth: 64,
  callTimeoutMs: 60_000,
  maxConcurrentCalls: 32,
  listTimeoutMs: 3_000,
} as const satisfies LimitsConfig;

export const Restart = z
  .strictObject({
    maxRetries: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(5)
      .describe('Restarts after a crash before giving up.'),
    initialDelayMs: z
      .number()
      .int()
      .min(10)
      .max(60_000)
      .default(250)
      .describe('First backoff delay.'),
    maxDelayMs: z
      .number()
      .int()
      .min(10)
      .max(600_000)
      .default(30_000)
      .describe('Largest backoff delay.'),
    startTimeoutMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(30_000)
      .describe(
        'How long a (re)start may take, spawn and handshake included, before it counts as failed.',
      ),
  })
  .describe('Restart policy for an upstream that crashes or hangs.');

export type LimitsConfig = { readonly [K in keyof z.infer<typeof Limits>]-?: number };
