import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toCanonicalJson } from '../core/canonical-json.js';
import { createHmacOf, createRedactor, digestOf, REDACTED } from './redact.js';

describe('when recording values', () => {
  const key = randomBytes(32);
  const redactor = createRedactor(key, ['sk-live-123456', 'hunter22']);

  it('[AUD-6] stores a keyed HMAC-SHA256 digest by default, never the value', () => {
    const recorded = redactor.record({ password: 'hunter22', b: [1, 2] }, false);
    expect(JSON.stringify(recorded)).not.toContain('hunter22');
    const canonical = toCanonicalJson({ b: [1, 2], password: 'hunter22' });
    expect(recorded).toEqual({
      hmac: digestOf(key, canonical),
      size: Buffer.byteLength(canonical),
    });
    // key order does not matter (RFC 8785), another key gives another digest
    expect(redactor.record({ b: [1, 2], password: 'hunter22' }, false)).toEqual(recorded);
    expect(
      createRedactor(randomBytes(32), []).record({ b: [1, 2], password: 'hunter22' }, false),
    ).not.toEqual(recorded);
  });

  it('[AUD-6] in clear, still replaces every configured secret, in keys and values', () => {
    const recorded = redactor.record(
      { q: 'token sk-live-123456 and hunter22', ['hunter22']: ['x hunter22'] },
      true,
    );
    expect(JSON.stringify(recorded)).not.toMatch(/sk-live|hunter22/);
    expect(recorded).toMatchObject({
      clear: { q: `token ${REDACTED} and ${REDACTED}`, [REDACTED]: [`x ${REDACTED}`] },
    });
  });

  it('[CNT-6] keeps a call target in clear unless it holds a credential, in any form', () => {
    expect(redactor.target('note://reports/2026')).toBe('note://reports/2026');
    expect(redactor.target('echo')).toBe('echo');
    const token = `ghp_${'Zx9'.repeat(12)}`;
    for (const target of [
      `note://x/${token}`,
      `note://x?k=${Buffer.from('hunter22').toString('hex').replace(/../g, '%$&')}`,
      `x://${Buffer.from('.sk-live-123456').toString('base64')}`,
    ])
      expect(redactor.target(target), target).toBe(REDACTED);
  });
});

describe('when digesting with the prepared key', () => {
  it('[AUD-6] gives exactly the HMAC-SHA256 of node:crypto, for any key length and any text (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 130 }),
        fc.string({ unit: 'binary', maxLength: 300 }),
        (key, text) => {
          const k = Buffer.from(key);
          expect(createHmacOf(k)(text, Buffer.byteLength(text))).toBe(
            createHmac('sha256', k).update(text).digest('hex'),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});
