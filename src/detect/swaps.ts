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
