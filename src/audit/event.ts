import { hash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import type { Hash } from './merkle.js';

// canonicalize is CommonJS: its default export is the module function itself.
const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined;

/** What the chain decided about one message, or a gateway lifecycle event. */
export type Decision = 'forward' | 'deny' | 'result' | 'error' | 'event';

/** A digest of a value (HMAC-SHA256 under the log's key) or the value itself when recorded in clear. */
export type Recorded = { readonly hmac: string; readonly size: number } | { readonly clear: unknown; readonly size: number };

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

/** RFC 8785 canonical JSON of a value (throws on what JSON cannot carry). */
export const toCanonicalJson = (value: unknown): string => {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
};

export const toLeafData = (entry: AuditEntry): Buffer => Buffer.from(toCanonicalJson(entry), 'utf8');

/** The leaf hash of a stored body: SHA-256 of 0x00 and its UTF-8 bytes (one-shot, no copy of the body). */
export const toLeafHash = (body: string): Hash => hash('sha256', '\u0000' + body, 'buffer') as Hash;
