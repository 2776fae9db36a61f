import { mayHideText } from '../sanitize/hidden.js';

/** What `survey` knows of a character: ASCII classes, and what a code point above ASCII asks for. */
export const UPPER = 1;
const LOWER = 2;
const DIGIT = 4;
/** A base64/base64url/hex run character: `[A-Za-z0-9+/_-]`. */
export const B64 = 8;
export const BLANK = 16;
/** A control character that `stripHidden` removes (not tab, line feed or carriage return). */
export const CONTROL = 32;
export const ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  let k = 0;
  if (c >= 65 && c <= 90) k = UPPER | B64;
  else if (c >= 97 && c <= 122) k = LOWER | B64;
  else if (c >= 48 && c <= 57) k = DIGIT | B64;
  else if (c === 43 || c === 47 || c === 95 || c === 45) k = B64;
  else if (c === 32 || c === 9) k = BLANK;
  else if ((c < 32 && c !== 10 && c !== 13) || c === 127) k = CONTROL;
  ASCII[c] = k;
}
/** What the automaton reads for an ASCII character: letters in lower case, a tab as a space. */
export const FOLDED = new Uint8Array(128);
for (let c = 0; c < 128; c++) FOLDED[c] = c >= 65 && c <= 90 ? c + 32 : c === 9 ? 32 : c;
const UNDERSCORE = 95;
export const EQUALS = 61;
export const PERCENT = 37;
export const MIN_RUN = 24;

/** What a code point above ASCII asks for. */
export const STABLE = 1;
export const FOLD = 2;
export const HIDDEN = 3;
const MARK = /\p{M}/u;

/**
 * A code point is left alone by NFKC in any context when it is its own NFKC form, is not a mark
 * (which may compose with or reorder against its neighbours) and is not a Hangul vowel or final
 * consonant (which compose with the syllable before); and by look-alike folding when it is not one.
 */
const kindOf = (ch: string, lookalikes: Readonly<Record<string, string>>): number => {
  const c = ch.codePointAt(0) as number;
  if (c === 0x200c || c === 0x200d || mayHideText(ch)) return HIDDEN;
  if (
    ch.normalize('NFKC') !== ch ||
    MARK.test(ch) ||
    (c >= 0x1100 && c <= 0x11ff) ||
    ch in lookalikes
  )
    return FOLD;
  return STABLE;
};

export const wide = new Uint8Array(0x10000);
const astral = new Map<number, number>();

export const kindOfUnit = (c: number, lookalikes: Readonly<Record<string, string>>): number =>
  (wide[c] = kindOf(String.fromCharCode(c), lookalikes));

/** Kinds of plane 1 (emoji, symbols, historic scripts), by code point − 0x10000; 0 = not yet known. */
const plane1 = new Uint8Array(0x10000);
export const kindOfPair = (cp: number, lookalikes: Readonly<Record<string, string>>): number => {
  if (cp < 0x20000)
    return (
      (plane1[cp - 0x10000] as number) ||
      (plane1[cp - 0x10000] = kindOf(String.fromCodePoint(cp), lookalikes))
    );
  let k = astral.get(cp);
  if (k === undefined) astral.set(cp, (k = kindOf(String.fromCodePoint(cp), lookalikes)));
  return k;
};

/** A base64 run ending at `i` takes up to two `=` of padding. */
export const endOfRun = (text: string, i: number): number => {
  let end = i;
  if (text.charCodeAt(end) === EQUALS) end++;
  if (text.charCodeAt(end) === EQUALS) end++;
  return end;
};

/** A blank above U+00FF that NFKC keeps a blank. */
export const isWideSpace = (c: number): boolean =>
  c === 0x1680 ||
  (c >= 0x2000 && c <= 0x200a) ||
  c === 0x2028 ||
  c === 0x2029 ||
  c === 0x202f ||
  c === 0x205f ||
  c === 0x3000 ||
  c === 0xfeff;

/** Whether a space goes before the upper-case letter at `i`, glued to a word: `aB`, `ABc`, `a_Bc`/`0_Bc`. */
export const gluedAt = (text: string, i: number): boolean => {
  const p = ASCII[text.charCodeAt(i - 1)] ?? 0;
  return (
    (p & LOWER) !== 0 ||
    (((p & UPPER) !== 0 ||
      (text.charCodeAt(i - 1) === UNDERSCORE &&
        i > 1 &&
        ((ASCII[text.charCodeAt(i - 2)] ?? 0) & (LOWER | DIGIT)) !== 0)) &&
      ((ASCII[text.charCodeAt(i + 1)] ?? 0) & LOWER) !== 0)
  );
};
