/** Past this depth a value is returned as it is (the frame decoder caps depth well below it). */
const MAX_DEPTH = 128;

export interface MapStringsOptions {
  /** Property names whose values are left as they are (binary payloads, media types). */
  readonly skip?: ReadonlySet<string>;
  /** Edit property names too. */
  readonly keys?: boolean;
}

/** Sets an own data property, `__proto__` included (an assignment would set the prototype instead). */
const put = (target: Record<string, unknown>, key: string, value: unknown): void => {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
};

/**
 * An untrusted JSON value with `edit` applied to every string in it, copy on write: where no string
 * changes, the very same array or object is returned, so a clean message (almost every message) is
 * walked without allocating anything. Where one changes, only the arrays and objects on its path are
 * copied, as plain objects in the same key order; the input is never mutated. A renamed key that
 * collides with a later one loses to it, as in `Object.fromEntries`.
 * @example
 * mapStrings({ a: ['x\u200b'] }, (s) => s.replace('\u200b', '')) // { a: ['x'] }
 */
export const mapStrings = (value: unknown, edit: (text: string) => string, options: MapStringsOptions = {}, depth = 0): unknown => {
  if (typeof value === 'string') return edit(value);
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const edited = mapStrings(item, edit, options, depth + 1);
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
    const key = options.keys ? edit(name) : name;
    const edited = options.skip?.has(name) ? item : mapStrings(item, edit, options, depth + 1);
    if (!copy && (key !== name || edited !== item)) {
      copy = {};
      for (let j = 0; j < i; j++) put(copy, names[j] as string, record[names[j] as string]);
    }
    if (copy) put(copy, key, edited);
  }
  return copy ?? value;
};
