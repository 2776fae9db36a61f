import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBinary, mapStrings } from './map-strings.js';

/** The plain definition: a fresh copy of everything; keys that merge once edited are an error. */
const reference = (value: unknown, edit: (s: string) => string): unknown => {
  if (typeof value === 'string') return edit(value);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => reference(v, edit));
  const record = value as Record<string, unknown>;
  const entries = Object.entries(record).map(
    ([k, v]) => [edit(k), isBinary(record, k) ? v : reference(v, edit)] as const,
  );
  if (new Set(entries.map(([k]) => k)).size < entries.length) return 'collision';
  return Object.fromEntries(entries);
};
const outcome = (run: () => unknown): unknown => {
  try {
    return shape(run());
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

/** Same values and, per object, the same own keys in the same order. */
const shape = (value: unknown): unknown =>
  typeof value !== 'object' || value === null
    ? value
    : Array.isArray(value)
      ? value.map(shape)
      : Object.entries(value).map(([k, v]) => [k, shape(v)]);

// Keys and strings from a small alphabet, so that edits collide with other keys now and then.
const text = fc.string({ unit: fc.constantFrom('a', 'b', 'x', '_', '\u200b'), maxLength: 4 });
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    text,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(text, fc.constantFrom('blob', 'data', 'uri', 'type', '__proto__')),
      fc.oneof(tie('value'), fc.constantFrom('image', 'audio', 'ax==')),
      { maxKeys: 4 },
    ),
  ),
})).value;

describe('mapStrings: the copy-on-write walk of hidden-character stripping and secret redaction [SAN-1] [SEC-1]', () => {
  it('gives what a full copy gives, on any JSON value, keys and binary fields included; merged keys throw', () => {
    const edits = [
      (s: string) => s.replaceAll('\u200b', ''),
      (s: string) => s.replaceAll('x', '[X]'),
      (s: string) => s,
    ];
    const deepest = (v: unknown): boolean => JSON.stringify(v).includes('collision');
    fc.assert(
      fc.property(json, fc.constantFrom(...edits), (value, edit) => {
        const expected = reference(value, edit);
        const got = outcome(() => mapStrings(value, edit));
        if (deepest(expected)) expect(got).toBe('CONTENT_KEY_COLLISION');
        else expect(got).toEqual(shape(expected));
      }),
      { numRuns: 500 },
    );
  });

  it('returns the very same value when no string changes, and never mutates its input', () => {
    fc.assert(
      fc.property(json, (value) => {
        const before = JSON.stringify(shape(value));
        expect(mapStrings(value, (s) => s)).toBe(value);
        mapStrings(value, (s) => `${s}!`);
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
    const out = mapStrings(value, (s) => s.replaceAll('x', 'X')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":"X"},"t":"X"}');
  });

  it('[CNT-1] edits keys and every field but base64 binary payloads; a non-base64 "blob" or "data" is text', () => {
    const edit = (s: string) => s.replaceAll('q', 'Q');
    const value = {
      _meta: { q: 'q' },
      type: 'q',
      mimeType: 'q',
      content: [
        { type: 'image', data: 'eHh4', mimeType: 'image/png' },
        { type: 'text', data: 'q q' },
      ],
      contents: [
        { uri: 'u', blob: 'eHh4' },
        { uri: 'u', blob: 'not base64 q' },
      ],
    };
    expect(mapStrings(value, edit)).toEqual({
      _meta: { Q: 'Q' },
      type: 'Q',
      mimeType: 'Q',
      content: [
        { type: 'image', data: 'eHh4', mimeType: 'image/png' },
        { type: 'text', data: 'Q Q' },
      ],
      contents: [
        { uri: 'u', blob: 'eHh4' },
        { uri: 'u', blob: 'not base64 Q' },
      ],
    });
  });

  it('[CNT-3] fails closed on keys that merge once edited and on nesting past the cap', () => {
    expect(() => mapStrings({ 'a\u200b': 1, a: 2 }, (s) => s.replaceAll('\u200b', ''))).toThrow(
      expect.objectContaining({ code: 'CONTENT_KEY_COLLISION' }),
    );
    let deep: unknown = 'x';
    for (let i = 0; i < 200; i++) deep = [deep];
    expect(() => mapStrings(deep, (s) => s)).toThrow(
      expect.objectContaining({ code: 'CONTENT_TOO_COMPLEX' }),
    );
  });
});
