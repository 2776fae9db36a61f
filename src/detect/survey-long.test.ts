import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stripHidden } from '../sanitize/hidden.js';
import { canonical, foldWide, LOOKALIKES, prepare } from './normalize.js';
import { RULES, SURFACE_WEIGHTS } from './rules.js';
import { compileScanner } from './automaton.js';
import { hitsOf } from './scan.js';
import { restore } from './swaps.js';
import { survey } from './survey.js';
import { CAMEL, fold, PIECES, RUN } from './survey-fixtures.js';

describe('when one read decides the passes, on long and unusual texts', () => {
  it('reads a text longer than one piece as it reads a short one (pieces meet inside runs, pairs and glued words)', () => {
    const scanner = compileScanner(
      RULES.filter((r) => (SURFACE_WEIGHTS.output[r.category] ?? 1) !== 0),
    );
    // The text is read 8192 code units at a time: a filler of about that length puts the pieces below across the seam.
    const filler = fc.tuple(
      fc.constantFrom('x', ' ', 'aB', 'Q', '\t', 'é', '👍', 'ab '),
      fc.integer({ min: 8160, max: 8200 }),
    );
    fc.assert(
      fc.property(
        filler,
        fc.array(fc.constantFrom(...PIECES), { maxLength: 14 }),
        filler,
        (first, parts, second) => {
          const text =
            first[0].repeat(first[1]).slice(0, first[1]) +
            parts.join('') +
            second[0].repeat(second[1]).slice(0, second[1]) +
            parts.join('');
          fc.pre(!text.includes('&#'));
          const reference = fold(stripHidden(text).text)
            .replace(CAMEL, '$1$2$3 ')
            .replace(/[\t ]{2,}|\t/g, ' ');
          const doc = prepare([text], '\n', scanner);
          expect(restore(doc.scan, 0, doc.scan.length, doc.swaps)).toBe(reference);
          expect([...(doc.hits?.hits ?? [])].sort((x, y) => x - y)).toEqual(
            [...hitsOf(scanner, doc.scan)].sort((x, y) => x - y),
          );
          const stripped = stripHidden(text).text;
          const runs: number[] = [];
          for (const m of stripped.matchAll(RUN))
            runs.push(m.index + m[0].length - (m[1] as string).length, m.index + m[0].length);
          expect(survey(stripped, {}, true, true).runs).toEqual(runs);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decodes the percent-encoded spans a search from the left finds, searching from where six `%` stand close enough', () => {
    const PERCENT_SPAN = /(?:%[0-9a-fA-F]{2}[^%\s]{0,3}){6,}/g;
    // A decoded span is kept when it reads as text (see normalize.ts).
    const isText = (t: string) =>
      t.length >= 8 &&
      [...t].filter((c) => /[\x20-\x7e\n\t]/.test(c)).length / t.length > 0.92 &&
      t.includes(' ');
    // Mostly valid escapes (a span needs six in a row, and a space to read as text), and some that break one.
    // Escapes as far apart as a span allows ('%41abc'), and just too far ('%41abcd').
    const pieces = [
      '%41',
      '%20',
      '%61',
      '%2E',
      '%54%6f%20%61%6c%6c%20',
      '%41',
      '%20',
      '%62',
      '%2',
      '%zz',
      '%',
      ' ',
      'é',
      '%C3%A9',
      '%E2%80',
      'a',
      '.',
      'x%',
      '%0a',
      '%ff',
      '%41abc',
      '%20abc',
      '%41abcd',
      '%20abc%41abc%20abc%41abc%20abc%41abc',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        fc.pre(!/[A-Za-z0-9+/_-]{24}/.test(text)); // (no base64 runs: only percent-encoding decodes here)
        const spans: string[] = [];
        for (const m of text.matchAll(PERCENT_SPAN)) {
          try {
            const decoded = decodeURIComponent(m[0]);
            if (isText(decoded)) spans.push(decoded);
          } catch {
            // malformed: not decoded
          }
        }
        expect(prepare([text]).hidden).toBe(
          spans.length > 0 ? canonical(stripHidden(spans.join('\n')).text) : '',
        );
      }),
      { numRuns: 3000 },
    );
  });

  it('makes room for a text that is all glued words (a space for every other character)', () => {
    for (const n of [40_000, 100_000]) {
      const text = 'aB'.repeat(n / 2);
      expect(prepare([text]).scan).toBe(text.replace(CAMEL, '$1$2$3 '));
    }
  });
  it('folds only the clusters of code points folding may change, as NFKC and look-alike folding of the whole text do', () => {
    // Marks that compose with the letter before or after a pair, Hangul vowels and finals, fullwidth and
    // compatibility forms, look-alikes of either case, emoji with joiners, CJK, lone surrogates, ASCII.
    const units = [
      'a',
      'e',
      'E',
      ' ',
      '.',
      '\u0301',
      '\u0308',
      '\u0344',
      '\u0323',
      '\u1100',
      '\u1161',
      '\u11a8',
      '가',
      '각',
      'Ａ',
      '，',
      '。',
      'ﬁ',
      '…',
      '½',
      '\u0430',
      '\u0410',
      'ο',
      'Ο',
      '\u00e9',
      '中',
      '文',
      '👍',
      '😀',
      '\u200d',
      '\u200b',
      '\ufe0f',
      '\ud800',
      '\udc00',
      '\u3099',
      'か',
      '\u0b3e',
      'ଓ',
      '\u2029',
    ];
    const whole = (s: string) => s.normalize('NFKC').replace(/[\s\S]/g, (c) => LOOKALIKES[c] ?? c);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...units), { maxLength: 24 }), (parts) => {
        const text = parts.join('');
        expect(foldWide(text, survey(text, LOOKALIKES, false, true).folds)).toBe(whole(text));
      }),
      { numRuns: 20_000 },
    );
  });
});
