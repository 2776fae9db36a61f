import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCarryIndex } from './carry.js';

// Private texts and unrelated texts from disjoint alphabets: a hit can only come from a real carry.
const privateText = fc.string({
  unit: fc.constantFrom(...'abcdefghijklm0123'),
  minLength: 40,
  maxLength: 400,
});
const otherText = fc.string({ unit: fc.constantFrom(...'nopqrstuvwxyz5678 .,'), maxLength: 200 });

describe('when a private value is carried into arguments', () => {
  it('[FLOW-2] finds any run of at least minLength characters, wherever it sits (property)', () => {
    fc.assert(
      fc.property(privateText, otherText, otherText, fc.nat(), (secret, before, after, at) => {
        const index = createCarryIndex(16);
        index.add([secret]);
        const start = at % (secret.length - 16);
        const run = secret.slice(start, start + 16 + (at % 8));
        return index.carried([`${before}${run}${after}`]);
      }),
    );
  });

  it('[FLOW-2] finds it base64-, hex- and URL-encoded, re-cased, and split by punctuation and line breaks', () => {
    const index = createCarryIndex(16);
    index.add(['Patient Margarethe Oyelaran-Whitfield, insurer Kestrel Mutual 88213907']);
    const run = 'Oyelaran-Whitfield, insurer Kestrel';
    for (const value of [
      Buffer.from(`note: ${run}`).toString('base64'),
      Buffer.from(run).toString('hex'),
      encodeURIComponent(run),
      run.toUpperCase(),
      run.split('').join('\n'),
    ])
      expect(index.carried([value]), value).toBe(true);
  });

  it('[FLOW-3] does not flag text that shares only runs shorter than minLength (property)', () => {
    fc.assert(
      fc.property(privateText, otherText, (secret, other) => {
        const index = createCarryIndex(16);
        index.add([secret]);
        // Short pieces of the secret, each kept apart by foreign text.
        const pieces = secret.match(/.{1,6}/g) ?? [];
        return !index.carried([pieces.join(` ${other || 'x'} zz `)]);
      }),
    );
  });
});
