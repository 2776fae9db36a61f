import type { InitializeInfo, Params, Result } from '../core/interceptor.js';
import type { Outbound } from '../core/outbound.js';
import type { SandboxEvent } from '../sandbox/spawn.js';

export type UpstreamState = 'starting' | 'ready' | 'down' | 'failed' | 'stopped';

/** What an upstream needs from the gateway: the way out, and the way back to the client through the chain. */
export interface UpstreamHooks {
  /** The way out (core/outbound.ts) every message to the server and every egress connection takes. */
  readonly outbound: Outbound;
  serverRequest(
    server: string,
    method: string,
    params: Params,
    signal: AbortSignal,
  ): Promise<Result>;
  notification(server: string, method: string, params: Params): Promise<void>;
  /** Resolves once the event is recorded; an egress decision's connection waits for it. */
  event(server: string, event: UpstreamEvent): Promise<void>;
  /** Runs before every (re)start, before anything is spawned: a throw refuses the start (lockfile package check). */
  beforeConnect?(server: string): Promise<void>;
  /** What the server said in `initialize`, after every (re)start (compared with the lock); a throw refuses the start. */
  initialized?(server: string, init: InitializeInfo): void;
  /** The server's own credential values, at every (re)start: the content scanner redacts and blocks them too. */
  secretsResolved?(server: string, values: readonly string[]): void;
}

export type UpstreamEvent =
  | { kind: 'started'; era: string; pid?: number }
  | { kind: 'crashed'; reason: string }
  | { kind: 'restarting'; attempt: number; delayMs: number }
  | { kind: 'failed'; reason: string; code?: string }
  | { kind: 'hung' }
  | { kind: 'stderr'; line: string }
  | { kind: 'refused-frame'; reason: string; count?: number }
  | { kind: 'exited'; code: number | null; signal: string | null; reason?: string }
  | SandboxEvent;
