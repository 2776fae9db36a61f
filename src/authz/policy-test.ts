import { z } from 'zod';
import { compilePolicy, decidePolicy, type Effect, type PolicySource } from './policy.js';
import { toCedarRequest, toDeclared } from './request.js';

const Case = z.strictObject({
  name: z.string().min(1).describe('What the case shows.'),
  agent: z.strictObject({ id: z.string().min(1), groups: z.array(z.string()).default([]) }),
  action: z.enum([
    'tools/list',
    'tools/call',
    'prompts/list',
    'prompts/get',
    'resources/list',
    'resources/read',
    'server/request',
  ]),
  server: z.string().min(1),
  /** The tool or prompt name, resource URI, or server request method. */
  item: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()).default({}),
  labels: z.array(z.string()).default([]),
  sessionLabels: z.array(z.string()).default([]),
  annotations: z.record(z.string(), z.unknown()).default({}),
  time: z.iso.datetime().default('2026-01-05T12:00:00Z'),
  expect: z.enum(['allow', 'deny', 'ask']),
});

/** A policy test file: the policies under test (relative to the file) and the cases. */
export const PolicyTestSchema = z.strictObject({
  policies: z.array(z.string().min(1)).min(1),
  cases: z.array(Case).min(1),
});
export type PolicyTest = z.infer<typeof PolicyTestSchema>;

export interface CaseResult {
  readonly name: string;
  readonly expected: Effect;
  readonly actual: Effect;
  readonly reason: string;
}

const KIND = {
  'tools/list': 'Tool',
  'tools/call': 'Tool',
  'prompts/list': 'Prompt',
  'prompts/get': 'Prompt',
  'resources/list': 'Resource',
  'resources/read': 'Resource',
  'server/request': 'ServerRequest',
} as const;

/**
 * Runs every case against the policies exactly as the gateway would decide it (same schema, same
 * request shape), so a policy change is tested before it is deployed.
 */
export const runPolicyTest = (test: PolicyTest, sources: readonly PolicySource[]): CaseResult[] => {
  const policy = compilePolicy(sources);
  return test.cases.map((c) => {
    const request = toCedarRequest(
      {
        principal: { id: c.agent.id, transport: 'http', groups: c.agent.groups },
        server: c.server,
      },
      { action: c.action, kind: KIND[c.action], name: c.item },
      {
        labels: c.labels,
        sessionLabels: c.sessionLabels,
        declared: toDeclared(c.annotations),
        now: new Date(c.time),
      },
      c.arguments,
    );
    const decision = decidePolicy(policy, request);
    return { name: c.name, expected: c.expect, actual: decision.effect, reason: decision.reason };
  });
};
