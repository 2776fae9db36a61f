import { ContentError } from '../errors.js';

/** Deepest nesting the content walks read; a deeper value is refused, never passed on unread. */
export const MAX_WALK_DEPTH = 128;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * True for the only values the content defenses do not read: those the MCP schema says are binary,
 * a `blob` of resource contents and the `data` of image or audio content, and only when they are
 * base64 (anything else there is text a client may show, so it is read like any other string).
 */
export const isBinary = (record: Readonly<Record<string, unknown>>, name: string): boolean => {
  const value = record[name];
  if (typeof value !== 'string') return false;
  const binary =
    (name === 'blob' && typeof record['uri'] === 'string') ||
    (name === 'data' && (record['type'] === 'image' || record['type'] === 'audio'));
  return binary && BASE64.test(value);
};

/** Sets an own data property, `__proto__` included (an assignment would set the prototype instead). */
const put = (target: Record<string, unknown>, key: string, value: unknown): void => {
  if (Object.hasOwn(target, key))
    // untrusted: two keys that differ only in what `edit` removes ("a\u200b" and "a") would otherwise
    // overwrite one another, and which one survives would be the sender's choice.
    throw new ContentError(
      'CONTENT_KEY_COLLISION',
      `two keys of one object become "${key.slice(0, 40)}" once cleaned; refused`,
    );
  if (key === '__proto__')
    Object.defineProperty(target, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  else target[key] = value;
};

/**
 * An untrusted JSON value with `edit` applied to every string in it, property names included, and
 * binary payloads (`isBinary`) left as they are; copy on write: where no string changes, the very
 * same array or object is returned, so a clean message (almost every message) is walked without
 * allocating anything. Where one changes, only the arrays and objects on its path are copied, as
 * plain objects in the same key order; the input is never mutated. Fails closed: a renamed key that
 * collides with another key of its object throws CONTENT_KEY_COLLISION, a value nested deeper than
 * `MAX_WALK_DEPTH` throws CONTENT_TOO_COMPLEX.
 * @example
 * mapStrings({ a: ['x\u200b'] }, (s) => s.replace('\u200b', '')) // { a: ['x'] }
 */
export const mapStrings = (value: unknown, edit: (text: string) => string, depth = 0): unknown => {
  if (typeof value === 'string') return edit(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_WALK_DEPTH)
    throw new ContentError(
      'CONTENT_TOO_COMPLEX',
      `value nested deeper than ${MAX_WALK_DEPTH}; refused unread`,
    );
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const edited = mapStrings(item, edit, depth + 1);
      if (edited !== item) (copy ??= value.slice())[i] = edited;
    }
    return copy ?? value;
  }
  const record = value as Record<string, unknown>;
  const names = Object.keys(record);
  let copy: Record<string, unknown> | undefined;
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    const item = record[name];
    const key = edit(name);
    const edited = isBinary(record, name) ? item : mapStrings(item, edit, depth + 1);
    if (!copy && (key !== name || edited !== item)) {
      copy = {};
      for (let j = 0; j < i; j++) put(copy, names[j] as string, record[names[j] as string]);
    }
    if (copy) put(copy, key, edited);
  }
  return copy ?? value;
};
