import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printable, toColumns, toListingJson } from './format.js';
import type { Listing } from './list.js';

/** Text biased towards what a hostile server writes to reach a terminal: escapes, bidi, tags, newlines. */
const hostile = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.string({ unit: 'grapheme', maxLength: 4 }),
      fc.constantFrom('😀', '𝔘'),
      fc.constantFrom(
        '\x1b[2J',
        '\x1b]0;title\x07',
        '\u202e',
        '\u2066',
        '\u200b',
        '\r\n',
        '\u2028',
        '\u0085',
        '\x7f',
        String.fromCodePoint(0xe0041),
        '\ufeff',
      ),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

describe('when server-written text is printed', () => {
  it('[TOOLS-5] never holds a control, format or bidi character, and stays within its cap', () =>
    fc.assert(
      fc.property(hostile, fc.integer({ min: 1, max: 40 }), (text, max) => {
        const out = printable(text, max);
        expect(out).not.toMatch(FORBIDDEN);
        expect([...out].length).toBeLessThanOrEqual(max);
        expect(out).not.toMatch(/\p{Cs}/u); // no half of a surrogate pair
        expect(out).toBe(out.trim());
      }),
    ));

  it('keeps plain text as it is, and marks a cut with an ellipsis', () => {
    expect(printable('Reads a file.', 40)).toBe('Reads a file.');
    expect(printable('abcdef', 4)).toBe('abc…');
    expect(printable(7, 10)).toBe('');
  });

  it('pads every column but the last', () => {
    expect(
      toColumns([
        ['A', 'BB', 'C'],
        ['aaa', 'b', 'c c'],
      ]),
    ).toBe('A    BB  C\naaa  b   c c');
  });
});

describe('when a listing is printed as JSON', () => {
  const listingOf = (description: string): Listing => ({
    items: [
      {
        server: 's',
        kind: 'tool',
        name: 'echo',
        publicName: 's__echo',
        description,
        verdict: 'visible',
      },
    ],
    warnings: [],
  });

  it('[TOOLS-5] escapes every DEL, C1, format and bidi character, and parses back to the same data', () =>
    fc.assert(
      fc.property(hostile, (description) => {
        const json = toListingJson(listingOf(description));
        expect(json).not.toMatch(/[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/u);
        expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(listingOf(description))));
      }),
    ));
});
