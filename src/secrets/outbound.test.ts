import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leaksIn } from './outbound.js';
import { createSecretScanner } from './scan.js';

const secret = 'correct-horse-battery-9137';
const scanner = createSecretScanner([secret]);
const token = `ghp_${'Zx9'.repeat(12)}`;

describe('when an outgoing value hides a credential [CNT-5]', () => {
  it('finds a configured secret base64- or base64url-encoded after any prefix and before any suffix', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 5 }),
        fc.uint8Array({ maxLength: 5 }),
        fc.constantFrom('base64', 'base64url'),
        fc.string({ maxLength: 6 }),
        (before, after, encoding, lead) => {
          const encoded = Buffer.concat([before, Buffer.from(secret), after]).toString(encoding);
          expect(leaksIn(scanner, { text: `${lead} ${encoded}` })).toEqual(['configured-secret']);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('finds a format credential base64-encoded after a 1- or 2-byte prefix, hex in either case, and %-encoded', () => {
    const formats = createSecretScanner([]);
    for (const text of [
      Buffer.from(`:${token}`).toString('base64'),
      Buffer.from(`: ${token}`).toString('base64url'),
      Buffer.from(token).toString('hex').toUpperCase(),
      Buffer.from(token).toString('hex').replace(/../g, '%$&'),
      `${token.slice(0, 3)}\u200b${token.slice(3)}`,
      token.replace(/[a-z]/g, (c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)),
    ])
      expect(leaksIn(formats, { q: text }), text).toEqual(['github-token']);
  });

  it('leaves ordinary values alone: prose, ids, digests, random base64', () => {
    fc.assert(
      fc.property(
        fc.uuid(),
        fc.uint8Array({ minLength: 16, maxLength: 64 }),
        fc.lorem(),
        (uuid, bytes, prose) => {
          const value = {
            id: uuid,
            digest: Buffer.from(bytes).toString('hex'),
            blob: Buffer.from(bytes).toString('base64'),
            prose,
            url: `https://example.com/a%20b?q=${encodeURIComponent(prose)}`,
          };
          expect(leaksIn(scanner, value)).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('when a credential sits in a key or a nested field [CNT-4]', () => {
  it('reads every key and every string, binary fields included', () => {
    expect(leaksIn(scanner, { arguments: { [secret]: 1 } })).toEqual(['configured-secret']);
    expect(leaksIn(scanner, { _meta: { deep: [{ note: token }] } })).toEqual(['github-token']);
    expect(
      leaksIn(scanner, {
        content: [{ type: 'image', data: Buffer.from(secret).toString('base64') }],
      }),
    ).toEqual(['configured-secret']);
  });
  it('[CNT-3] refuses a value nested past the cap', () => {
    let deep: unknown = secret;
    for (let i = 0; i < 200; i++) deep = { d: deep };
    expect(() => leaksIn(scanner, deep)).toThrow(
      expect.objectContaining({ code: 'CONTENT_TOO_COMPLEX' }),
    );
  });
});
