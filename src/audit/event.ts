import { hash } from 'node:crypto';
import { toCanonicalJson } from '../core/canonical-json.js';
import type { Hash } from './merkle.js';

/** What the chain decided about one message, or a gateway lifecycle event. */
export type Decision = 'forward' | 'deny' | 'result' | 'error' | 'event';

/** A digest of a value (HMAC-SHA256 under the log's key) or the value itself when recorded in clear. */
export type Recorded =
  | { readonly hmac: string; readonly size: number }
  | { readonly clear: unknown; readonly size: number };

/**
 * One audit entry. Serialized as RFC 8785 canonical JSON (the leaf data of the Merkle tree), so any
 * implementation re-derives the same bytes. Absent fields are omitted, never null.
 */
export interface AuditEntry {
  readonly v: 1;
  readonly seq: number;
  readonly time: string;
  readonly decision: Decision;
  /** Root hash (hex) of the tree of the entries before this one: a divergence is pinpointed to its entry. */
  readonly prev: string;
  /** Correlates the forward and the outcome entries of one request. */
  readonly call?: string;
  readonly direction?: 'to-server' | 'to-client';
  readonly kind?: 'request' | 'notification';
  readonly principal?: string;
  readonly server?: string;
  readonly method?: string;
  /** The tool, prompt or resource named by the request. */
  readonly target?: string;
  /** The pinned definition hash of the target, when a lock is in force. */
  readonly targetHash?: string;
  /** Stable reason code: the GatewayError code of a denial or error. */
  readonly reason?: string;
  /** SHA-256 of the canonical config in force (the policy version). */
  readonly policy?: string;
  /** Version of the lock in force, when there is one. */
  readonly lock?: string;
  readonly args?: Recorded;
  readonly result?: Recorded;
  readonly latencyUs?: number;
  /** For `event` entries: what happened (upstream start/crash/restart, config load, shutdown). */
  readonly event?: Readonly<Record<string, unknown>>;
}

const finite = (n: number): number => {
  if (!Number.isFinite(n)) throw new TypeError('an audit entry number must be finite');
  return n;
};

const digest = (r: Recorded | undefined) =>
  r === undefined ? undefined : { hmac: (r as { hmac: string }).hmac, size: finite(r.size) };
const isFreeForm = (e: AuditEntry): boolean =>
  e.event !== undefined ||
  (e.args !== undefined && !('hmac' in e.args)) ||
  (e.result !== undefined && !('hmac' in e.result));

/**
 * The RFC 8785 canonical JSON of an entry: the one serializer of the log's hashed format.
 * An entry of digests (the common one: nothing recorded in clear, no `event`) has a fixed shape, so
 * it is one `JSON.stringify` of an object built with its keys in canonical (sorted) order, which omits
 * absent fields and writes strings and numbers exactly as RFC 8785 does (no key is an integer, which
 * V8 would put first). An entry with free-form parts goes through `canonicalize` as a whole.
 * `event.test.ts` checks both against `canonicalize` on random entries.
 */
export const toEntryJson = (e: AuditEntry): string => {
  if (isFreeForm(e)) return toCanonicalJson(e);
  return JSON.stringify({
    args: digest(e.args),
    call: e.call,
    decision: e.decision,
    direction: e.direction,
    kind: e.kind,
    latencyUs: e.latencyUs === undefined ? undefined : finite(e.latencyUs),
    lock: e.lock,
    method: e.method,
    policy: e.policy,
    prev: e.prev,
    principal: e.principal,
    reason: e.reason,
    result: digest(e.result),
    seq: finite(e.seq),
    server: e.server,
    target: e.target,
    targetHash: e.targetHash,
    time: e.time,
    v: e.v,
  });
};

/** The leaf hash of a stored body: SHA-256 of 0x00 and its UTF-8 bytes (one-shot, no copy of the body). */
export const toLeafHash = (body: string): Hash => hash('sha256', '\u0000' + body, 'buffer');
