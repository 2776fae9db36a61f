import { createHmac, hash } from 'node:crypto';
import { leaksIn } from '../secrets/outbound.js';
import { createSecretScanner } from '../secrets/scan.js';
import { toCanonicalJson } from '../core/canonical-json.js';
import type { Recorded } from './event.js';

export const REDACTED = '[REDACTED]';

/**
 * How a value enters the log. By default only an HMAC-SHA256 of its canonical JSON under the log's
 * secret key: an investigator holding the key can test "was this value sent?", a reader of the log
 * without it learns nothing (a plain hash of a short value could be brute-forced). In clear only when
 * the config asks for it per tool, and then every configured secret is replaced by `[REDACTED]`.
 */
export interface Redactor {
  record(value: unknown, clear: boolean): Recorded;
  /**
   * A call's target (tool or prompt name, resource URI) as the log keeps it in clear: `[REDACTED]` when
   * it holds a configured secret or a credential-shaped string in any encoding the outbound check reads.
   */
  target(name: string): string;
}

/** Targets repeat (the same few tools): verdicts are kept for this many distinct ones. */
const TARGET_CACHE = 1024;

/**
 * @example
 * const redact = createRedactor(hmacKey, ['sk-live-123']);
 * redact.record({ q: 'x' }, false); // { hmac: '…', size: 9 }
 */
export const createRedactor = (key: Buffer, secrets: readonly string[]): Redactor => {
  // Longest first, so a secret that contains another is replaced whole.
  const list = [...new Set(secrets.filter((s) => s.length >= 4))].sort(
    (a, b) => b.length - a.length,
  );
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string')
      return list.reduce((text, secret) => text.split(secret).join(REDACTED), value);
    if (Array.isArray(value)) return value.map(scrub);
    if (value && typeof value === 'object')
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [
          scrub(k) as string,
          scrub(v),
        ]),
      );
    return value;
  };
  const hmac = createHmacOf(key);
  const scanner = createSecretScanner(list);
  const targets = new Map<string, string>();
  return {
    target(name) {
      let kept = targets.get(name);
      if (kept === undefined) {
        if (targets.size >= TARGET_CACHE) targets.clear();
        kept = leaksIn(scanner, name).length > 0 ? REDACTED : name;
        targets.set(name, kept);
      }
      return kept;
    },
    record(value, clear) {
      const json = toCanonicalJson(value ?? null);
      const size = Buffer.byteLength(json);
      if (clear) return { clear: scrub(JSON.parse(json) as unknown), size };
      return { hmac: hmac(json, size), size };
    },
  };
};

/**
 * HMAC-SHA256 (RFC 2104) under a fixed key, from two one-shot `crypto.hash` calls over padded keys
 * made once: the same digest as `createHmac` (redact.test.ts checks it on random keys and values),
 * without an Hmac object per value, since every call records two values.
 */
export const createHmacOf = (key: Buffer): ((text: string, bytes: number) => string) => {
  const block = key.length > 64 ? hash('sha256', key, 'buffer') : key;
  const inner = Buffer.alloc(64, 0x36);
  const outer = Buffer.alloc(64 + 32, 0x5c);
  for (const [i, byte] of block.entries()) {
    inner[i] = (inner[i] as number) ^ byte;
    outer[i] = (outer[i] as number) ^ byte;
  }
  return (text, bytes) => {
    const message = Buffer.allocUnsafe(64 + bytes);
    inner.copy(message, 0);
    message.write(text, 64, bytes, 'utf8');
    outer.write(hash('sha256', message, 'binary'), 64, 32, 'binary');
    return hash('sha256', outer, 'hex');
  };
};

/** HMAC-SHA256 (hex) of a value's canonical JSON: what `toolgate audit query --value` compares. */
export const digestOf = (key: Buffer, canonicalJson: string): string =>
  createHmac('sha256', key).update(canonicalJson).digest('hex');
