import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapStrings, type MapStringsOptions } from './map-strings.js';

/** The plain definition: a fresh copy of everything, as the defenses walked values before. */
const reference = (value: unknown, edit: (s: string) => string, options: MapStringsOptions, depth = 0): unknown => {
  if (typeof value === 'string') return edit(value);
  if (typeof value !== 'object' || value === null || depth > 128) return value;
  if (Array.isArray(value)) return value.map((v) => reference(v, edit, options, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [options.keys ? edit(k) : k, options.skip?.has(k) ? v : reference(v, edit, options, depth + 1)]),
  );
};

/** Same values and, per object, the same own keys in the same order. */
const shape = (value: unknown): unknown =>
  typeof value !== 'object' || value === null ? value : Array.isArray(value) ? value.map(shape) : Object.entries(value).map(([k, v]) => [k, shape(v)]);

// Keys and strings from a small alphabet, so that edits collide with other keys now and then.
const text = fc.string({ unit: fc.constantFrom('a', 'b', 'x', '_', '\u200b'), maxLength: 4 });
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.oneof(text, fc.constantFrom('blob', '__proto__')), tie('value'), { maxKeys: 4 })),
})).value;
const options: fc.Arbitrary<MapStringsOptions> = fc.oneof(fc.record({ keys: fc.boolean() }), fc.record({ keys: fc.boolean(), skip: fc.constant(new Set(['blob'])) }));

describe('mapStrings: the copy-on-write walk of hidden-character stripping and secret redaction [SAN-1] [SEC-1]', () => {
  it('gives what a full copy gives, on any JSON value, keys, collisions and skipped keys included', () => {
    const edits = [(s: string) => s.replaceAll('\u200b', ''), (s: string) => s.replaceAll('x', '[X]'), (s: string) => s];
    fc.assert(
      fc.property(json, options, fc.constantFrom(...edits), (value, opts, edit) => {
        expect(shape(mapStrings(value, edit, opts))).toEqual(shape(reference(value, edit, opts)));
      }),
      { numRuns: 500 },
    );
  });

  it('returns the very same value when no string changes, and never mutates its input', () => {
    fc.assert(
      fc.property(json, options, (value, opts) => {
        const before = JSON.stringify(shape(value));
        expect(mapStrings(value, (s) => s, opts)).toBe(value);
        mapStrings(value, (s) => `${s}!`, opts);
        expect(JSON.stringify(shape(value))).toBe(before);
      }),
      { numRuns: 500 },
    );
  });

  it('copies only the path to a change: untouched siblings are shared', () => {
    const clean = { deep: ['kept'] };
    const value = { content: [{ type: 'text', text: 'a\u200bb' }], clean };
    const out = mapStrings(value, (s) => s.replaceAll('\u200b', '')) as typeof value;
    expect(out).toEqual({ content: [{ type: 'text', text: 'ab' }], clean: { deep: ['kept'] } });
    expect(out.clean).toBe(clean);
    expect(value.content[0]?.text).toBe('a\u200bb');
  });

  it('keeps a "__proto__" key an own property of the copy, never the prototype', () => {
    const value = JSON.parse('{"__proto__":{"polluted":"x"},"t":"x"}') as Record<string, unknown>;
    const out = mapStrings(value, (s) => s.toUpperCase()) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":"X"},"t":"X"}');
  });
});
