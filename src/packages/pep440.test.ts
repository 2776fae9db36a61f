import { describe, expect, it } from 'vitest';
import { comparePep440, parsePep440 } from './pep440.js';

const cmp = (a: string, b: string): number => {
  const x = parsePep440(a);
  const y = parsePep440(b);
  if (x === undefined || y === undefined) throw new Error(`not PEP 440: ${a} ${b}`);
  return comparePep440(x, y);
};

describe('PEP 440 order', () => {
  it('[SBOM-7] sorts the examples of the spec in the order it gives', () => {
    // PEP 440, "Summary of permitted suffixes and relative ordering", plus epochs and locals.
    const ordered = [
      '1.0.dev456',
      '1.0a1',
      '1.0a2.dev456',
      '1.0a12.dev456',
      '1.0a12',
      '1.0b1.dev456',
      '1.0b2',
      '1.0b2.post345.dev456',
      '1.0b2.post345',
      '1.0rc1.dev456',
      '1.0rc1',
      '1.0',
      '1.0+abc.5',
      '1.0+abc.7',
      '1.0+5',
      '1.0.post456.dev34',
      '1.0.post456',
      '1.0.15',
      '1.1.dev1',
      '1!0.1',
    ];
    for (let i = 0; i < ordered.length; i++)
      for (let j = 0; j < ordered.length; j++)
        expect(
          Math.sign(cmp(ordered[i] ?? '', ordered[j] ?? '')),
          `${ordered[i]} vs ${ordered[j]}`,
        ).toBe(Math.sign(i - j));
  });

  it('[SBOM-7] treats the spelled-out and padded forms as the same version', () => {
    expect(cmp('1.0', '1.0.0')).toBe(0);
    expect(cmp('1.0alpha1', '1.0a1')).toBe(0);
    expect(cmp('1.0-beta.2', '1.0b2')).toBe(0);
    expect(cmp('1.0c1', '1.0rc1')).toBe(0);
    expect(cmp('1.0-1', '1.0.post1')).toBe(0);
    expect(cmp('1.0.rev', '1.0.post0')).toBe(0);
    expect(cmp('v2.0.DEV', '2.0.dev0')).toBe(0);
    expect(cmp('10.0', '9.99')).toBeGreaterThan(0); // numeric, not lexical
  });

  it('[SBOM-7] refuses what is not PEP 440', () => {
    for (const v of ['', 'latest', '1.0-foo', '1..0', '1.0+', 'dev'])
      expect(parsePep440(v), v).toBeUndefined();
  });
});
