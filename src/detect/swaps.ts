/**
 * A code unit above U+00FF (not a space) is written into the scan text as this one, so that the
 * text takes one byte per character: U+0080 is a control character, stripped from every text, so
 * it stands for nothing else. The rules cannot tell them apart: they are case-insensitive without
 * the `u` flag (no character above ASCII matches an ASCII one), name no character above ASCII but
 * U+2029 (a space, kept), and read other characters only as not a word character, not a space and
 * not one of a few ASCII characters.
 */
export const PLACEHOLDER = 0x80;

/** Positions in the scan text of the placeholders, and the code units they stand for, in order. */
export interface Swaps {
  readonly at: ArrayLike<number>;
  readonly units: ArrayLike<number>;
}

/** The text of `scan` from `from` to `to`, with the code units its placeholders stand for. */
export const restore = (
  scan: string,
  from: number,
  to: number,
  swaps: Swaps | undefined,
): string => {
  if (!swaps) return scan.slice(from, to);
  const { at, units } = swaps;
  // The first placeholder at or after `from`.
  let lo = 0;
  let hi = at.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((at[mid] as number) < from) lo = mid + 1;
    else hi = mid;
  }
  let out = '';
  let last = from;
  for (let k = lo; k < at.length && (at[k] as number) < to; k++) {
    out += scan.slice(last, at[k]) + String.fromCharCode(units[k] as number);
    last = (at[k] as number) + 1;
  }
  return out + scan.slice(last, to);
};

/**
 * Where the `count` placeholders of the written text are and the code units they stand for: every
 * code unit of `text` above U+00FF is written as one, in order, and nothing else is (U+0080 itself is
 * a control character, stripped before the read whose text is kept: see `PLACEHOLDER`).
 */
export const swapsOf = (
  text: string,
  buf: Buffer,
  length: number,
  count: number,
  noted: Int32Array,
  /** How many code units `noted` can hold. */
  NOTED: number,
): Swaps => {
  const at = new Float64Array(count);
  const units = new Uint16Array(count);
  let k = 0;
  for (
    let i = buf.indexOf(PLACEHOLDER);
    i >= 0 && i < length && k < count;
    i = buf.indexOf(PLACEHOLDER, i + 1)
  )
    at[k++] = i;
  let u = 0;
  // Where the read noted them (most texts), or from a read of the whole text (one mostly above U+00FF).
  if (count <= NOTED) for (; u < count; u++) units[u] = text.charCodeAt(noted[u] as number);
  else
    for (let i = 0; i < text.length && u < count; i++) {
      const c = text.charCodeAt(i);
      if (c > 0xff) units[u++] = c;
    }
  if (k !== count || u !== count)
    throw new Error(
      `survey: ${count} placeholders written, ${k} found and ${u} code units above U+00FF`,
    );
  return { at, units };
};

/** The written text with its placeholders replaced again, two bytes per character (it holds a space above U+00FF). */
export const widen = (buf: Buffer, length: number, { at, units }: Swaps): string => {
  const wide16 = new Uint16Array(length);
  for (let i = 0; i < length; i++) wide16[i] = buf[i] as number;
  for (let k = 0; k < at.length; k++) wide16[at[k] as number] = units[k] as number;
  return Buffer.from(wide16.buffer, wide16.byteOffset, length * 2).toString('utf16le');
};
