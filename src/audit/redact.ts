import { createHmac } from 'node:crypto';
import { toCanonicalJson, type Recorded } from './event.js';

export const REDACTED = '[REDACTED]';

/**
 * How a value enters the log. By default only an HMAC-SHA256 of its canonical JSON under the log's
 * secret key: an investigator holding the key can test "was this value sent?", a reader of the log
 * without it learns nothing (a plain hash of a short value could be brute-forced). In clear only when
 * the config asks for it per tool, and then every configured secret is replaced by `[REDACTED]`.
 */
export interface Redactor {
  record(value: unknown, clear: boolean): Recorded;
}

/**
 * @example
 * const redact = createRedactor(hmacKey, ['sk-live-123']);
 * redact.record({ q: 'x' }, false); // { hmac: '…', size: 9 }
 */
export const createRedactor = (key: Buffer, secrets: readonly string[]): Redactor => {
  // Longest first, so a secret that contains another is replaced whole.
  const list = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') return list.reduce((text, secret) => text.split(secret).join(REDACTED), value);
    if (Array.isArray(value)) return value.map(scrub);
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [scrub(k) as string, scrub(v)]));
    return value;
  };
  return {
    record(value, clear) {
      const json = toCanonicalJson(value ?? null);
      const size = Buffer.byteLength(json);
      if (clear) return { clear: scrub(JSON.parse(json) as unknown), size };
      return { hmac: digestOf(key, json), size };
    },
  };
};

/** HMAC-SHA256 (hex) of a value's canonical JSON: what `toolgate audit query --value` compares. */
export const digestOf = (key: Buffer, canonicalJson: string): string => createHmac('sha256', key).update(canonicalJson).digest('hex');
