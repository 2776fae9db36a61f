import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stripHidden } from '../sanitize/hidden.js';
import { prepare } from './normalize.js';
import { RULES, SURFACE_WEIGHTS } from './rules.js';
import { compileScanner } from './automaton.js';
import { hitsOf } from './scan.js';
import { restore } from './swaps.js';
import { survey } from './survey.js';
import { CAMEL, fold, PIECES, RUN } from './survey-fixtures.js';

describe('when one read decides the passes', () => {
  it('makes the scan text the passes make one by one', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 14 }), (parts) => {
        const text = parts.join('');
        fc.pre(!text.includes('&#')); // (text with numeric entities is made canonical as a whole)
        // The reference: strip, fold, split glued words, collapse blank runs, each pass over the whole text.
        const reference = fold(stripHidden(text).text)
          .replace(CAMEL, '$1$2$3 ')
          .replace(/[\t ]{2,}|\t/g, ' ');
        const doc = prepare([text]);
        expect(restore(doc.scan, 0, doc.scan.length, doc.swaps)).toBe(reference);
      }),
      { numRuns: 3000 },
    );
  });

  it('finds the base64 runs the search for them finds', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 14 }), (parts) => {
        const text = stripHidden(parts.join('')).text;
        const runs: number[] = [];
        for (const m of text.matchAll(RUN))
          runs.push(m.index + m[0].length - (m[1] as string).length, m.index + m[0].length);
        expect(survey(text, {}, true, true).runs).toEqual(runs);
      }),
      { numRuns: 3000 },
    );
  });

  it('finds, while it writes the scan text, the starts one pass over that text finds', () => {
    const scanners = Object.keys(SURFACE_WEIGHTS).map((surface) =>
      compileScanner(
        RULES.filter(
          (r) => (SURFACE_WEIGHTS[surface as keyof typeof SURFACE_WEIGHTS][r.category] ?? 1) !== 0,
        ),
      ),
    );
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...PIECES), { maxLength: 14 }),
        fc.constantFrom('\n', '\u2029'),
        fc.nat(scanners.length - 1),
        (parts, sep, s) => {
          const scanner = scanners[s] as (typeof scanners)[number];
          const doc = prepare(parts, sep, scanner);
          expect(doc.hits?.scanner).toBe(scanner);
          expect([...(doc.hits?.hits ?? [])].sort((a, b) => a - b)).toEqual(
            [...hitsOf(scanner, doc.scan)].sort((a, b) => a - b),
          );
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('keeps placeholders safe: no rule names a character above ASCII but U+2029, none reads with the u or v flag', () => {
    // A placeholder stands for any character above U+00FF (see swaps.ts); a rule that named one, or
    // folded case beyond ASCII, could tell them apart.
    for (const r of RULES) {
      expect(r.re.flags, r.id).not.toMatch(/[uv]/);
      expect(r.re.source.replace(/\\u2029/g, ''), r.id).not.toMatch(
        /[^\x00-\x7f]|\\u[0-9a-f]{4}|\\x[89a-f][0-9a-f]|\\p\{/i,
      );
    }
  });
});
