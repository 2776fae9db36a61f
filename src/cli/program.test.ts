import fc from 'fast-check';
import { InvalidArgumentError } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import { isoDate, jsonValue, shortName, wholeNumber } from './program.js';

/** The value parsers that turn a bad option value into a usage error instead of an empty answer. */
describe('option value parsers', () => {
  it('wholeNumber takes digits only', () => {
    fc.assert(fc.property(fc.nat(), (n) => wholeNumber(String(n)) === n));
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/^\d+$/.test(s)),
        (s) => {
          expect(() => wholeNumber(s)).toThrow(InvalidArgumentError);
        },
      ),
    );
  });

  it('isoDate normalizes ISO 8601 dates and date-times to UTC, and refuses anything else', () => {
    expect(isoDate('2026-12-07')).toBe('2026-12-07T00:00:00.000Z');
    expect(isoDate('2026-12-07T14:00')).toBe('2026-12-07T14:00:00.000Z');
    expect(isoDate('2026-12-07T14:00:00+01:00')).toBe('2026-12-07T13:00:00.000Z');
    for (const bad of ['yesterday', '2026-13-45', '7/12/2026', '2026-12-07T25:00Z', ''])
      expect(() => isoDate(bad), bad).toThrow(InvalidArgumentError);
    const min = new Date('1970-01-01').getTime();
    const max = new Date('9999-12-31').getTime();
    fc.assert(
      fc.property(fc.integer({ min, max }), (t) => {
        const iso = new Date(t).toISOString();
        expect(isoDate(iso)).toBe(iso);
      }),
    );
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          expect(isoDate(s)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidArgumentError);
        }
      }),
    );
  });

  it('jsonValue takes JSON only', () => {
    fc.assert(fc.property(fc.json(), (j) => jsonValue(j) === j));
    expect(() => jsonValue('{not json')).toThrow(InvalidArgumentError);
  });

  it('shortName takes 1 to 128 characters without control characters (a name in the audit log)', () => {
    expect(shortName('alice (on call)')).toBe('alice (on call)');
    for (const bad of ['', 'a'.repeat(129), 'alice\nAPPROVED', 'bob\u001b[2J', 'x\u0085y'])
      expect(() => shortName(bad), JSON.stringify(bad)).toThrow(InvalidArgumentError);
  });
});
