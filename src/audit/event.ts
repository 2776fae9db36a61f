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

export const toLeafData = (entry: AuditEntry): Buffer => Buffer.from(toEntryJson(entry), 'utf8');

const str = (s: string): string => JSON.stringify(s);
const num = (n: number): string => {
  if (!Number.isFinite(n)) throw new TypeError('an audit entry number must be finite');
  return JSON.stringify(n);
};
const recorded = (r: Recorded): string =>
  'hmac' in r
    ? `{"hmac":${str(r.hmac)},"size":${num(r.size)}}`
    : `{${r.clear === undefined ? '' : `"clear":${toCanonicalJson(r.clear)},`}"size":${num(r.size)}}`;

/**
 * The RFC 8785 canonical JSON of an entry, written field by field: the entry has a fixed shape, so its
 * keys are emitted in their canonical (sorted) order without sorting, and only the free-form parts
 * (`event`, a value recorded in clear) go through the general canonicalization. Strings and numbers
 * are serialized by `JSON.stringify`, exactly as RFC 8785 (and `canonicalize`) does; `event.test.ts`
 * checks the output against `toCanonicalJson` on random entries. This runs twice per call.
 */
export const toEntryJson = (e: AuditEntry): string => {
  let out = '{';
  if (e.args !== undefined) out += `"args":${recorded(e.args)},`;
  if (e.call !== undefined) out += `"call":${str(e.call)},`;
  out += `"decision":${str(e.decision)},`;
  if (e.direction !== undefined) out += `"direction":${str(e.direction)},`;
  if (e.event !== undefined) out += `"event":${toCanonicalJson(e.event)},`;
  if (e.kind !== undefined) out += `"kind":${str(e.kind)},`;
  if (e.latencyUs !== undefined) out += `"latencyUs":${num(e.latencyUs)},`;
  if (e.lock !== undefined) out += `"lock":${str(e.lock)},`;
  if (e.method !== undefined) out += `"method":${str(e.method)},`;
  if (e.policy !== undefined) out += `"policy":${str(e.policy)},`;
  out += `"prev":${str(e.prev)},`;
  if (e.principal !== undefined) out += `"principal":${str(e.principal)},`;
  if (e.reason !== undefined) out += `"reason":${str(e.reason)},`;
  if (e.result !== undefined) out += `"result":${recorded(e.result)},`;
  out += `"seq":${num(e.seq)},`;
  if (e.server !== undefined) out += `"server":${str(e.server)},`;
  if (e.target !== undefined) out += `"target":${str(e.target)},`;
  if (e.targetHash !== undefined) out += `"targetHash":${str(e.targetHash)},`;
  return out + `"time":${str(e.time)},"v":${num(e.v)}}`;
};

/** The leaf hash of a stored body: SHA-256 of 0x00 and its UTF-8 bytes (one-shot, no copy of the body). */
export const toLeafHash = (body: string): Hash => hash('sha256', '\u0000' + body, 'buffer') as Hash;
