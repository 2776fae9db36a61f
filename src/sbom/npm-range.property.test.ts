import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inNpmRange } from './npm-range.js';

const version = fc
  .tuple(fc.nat(30), fc.nat(30), fc.nat(30))
  .map(([a, b, c]) => ({ nums: [a, b, c] as const, text: `${a}.${b}.${c}` }));
const cmp = (a: readonly number[], b: readonly number[]) =>
  (a[0]! - b[0]!) * 10_000 + (a[1]! - b[1]!) * 100 + (a[2]! - b[2]!);

describe('npm ranges in vulnerable_versions', () => {
  it('[SBOM-5] agrees with semver order for <, <=, >, >=, hyphen and two-sided ranges', () => {
    fc.assert(
      fc.property(version, version, version, (v, lo, hi) => {
        const c = (x: typeof v) => cmp(v.nums, x.nums);
        expect(inNpmRange(v.text, `<${hi.text}`)).toBe(c(hi) < 0);
        expect(inNpmRange(v.text, `<=${hi.text}`)).toBe(c(hi) <= 0);
        expect(inNpmRange(v.text, `> ${lo.text}`)).toBe(c(lo) > 0);
        expect(inNpmRange(v.text, `>=${lo.text} <${hi.text}`)).toBe(c(lo) >= 0 && c(hi) < 0);
        expect(inNpmRange(v.text, `${lo.text} - ${hi.text}`)).toBe(c(lo) >= 0 && c(hi) <= 0);
        expect(inNpmRange(v.text, `<${lo.text} || >=${hi.text}`)).toBe(c(lo) < 0 || c(hi) >= 0);
        expect(inNpmRange(v.text, v.text)).toBe(true);
      }),
    );
  });

  it('[SBOM-5] reads x-ranges, carets, tildes and *, and never calls an unreadable range safe', () => {
    expect(inNpmRange('1.2.9', '1.2.x')).toBe(true);
    expect(inNpmRange('1.3.0', '1.2.x')).toBe(false);
    expect(inNpmRange('1.9.0', '^1.2.0')).toBe(true);
    expect(inNpmRange('2.0.0', '^1.2.0')).toBe(false);
    expect(inNpmRange('0.2.5', '^0.2.1')).toBe(true);
    expect(inNpmRange('0.3.0', '^0.2.1')).toBe(false);
    expect(inNpmRange('1.2.7', '~1.2.3')).toBe(true);
    expect(inNpmRange('1.3.0', '~1.2.3')).toBe(false);
    expect(inNpmRange('4.17.20', '*')).toBe(true);
    expect(inNpmRange('1.3.0-beta.1', '<1.3.0')).toBe(true);
    fc.assert(
      fc.property(version, fc.string(), (v, junk) => {
        // Whatever the registry writes, the answer is a verdict or "unreadable", never a throw.
        expect([true, false, undefined]).toContain(inNpmRange(v.text, junk));
      }),
    );
    expect(inNpmRange('1.0.0', '<=banana')).toBeUndefined();
  });
});
