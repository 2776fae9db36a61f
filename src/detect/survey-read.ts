import { ended, feed, NumberList } from './scan.js';
import type { Scanner } from './automaton.js';
import { PLACEHOLDER } from './swaps.js';
import {
  BLANK,
  CONTROL,
  endOfRun,
  EQUALS,
  FOLD,
  HIDDEN,
  isWideSpace,
  kindOfPair,
  kindOfUnit,
  MIN_RUN,
  PERCENT,
  STABLE,
  wide,
} from './survey-chars.js';

/** The state of `survey`'s read and the steps it hands the less common characters to. */
export const NOTED = 4096;
/** What one read leaves for the next steps (one object, reused: its shape never changes). */
export class Reading {
  hidden = false;
  wide = false;
  edited = false;
  /** A space above U+00FF was written (it cannot be a placeholder). */
  spaces = false;
  /** Bytes written to `bytes`. */
  length = 0;
  /** While reading: bytes written so far and the automaton's state (see `readWide`). */
  o = 0;
  state = 0;
  /** The last blank read: a blank right after it is dropped (a blank run is written as one space). */
  lastBlank = -2;
  /** Where the base64 run still open at the end of the text began (the text's length if none is). */
  runFrom = 0;
  runs: number[] = [];
  // Reused lists: only what one read finds is copied out.
  readonly hits = new NumberList();
  readonly percents = new NumberList();
  readonly folds = new NumberList();
  /**
   * Placeholders written (code units above U+00FF). Where they are and what they stand for is found
   * afterwards, and only if the scan text is rewritten (`swapsOf`): most text above U+00FF needs no
   * rewriting, and two list pushes per character were a third of the time of a CJK text.
   */
  placeholders = 0;
  /** Where in the text the first `NOTED` placeholders' code units are (a text with more is read again for them). */
  readonly noted = new Int32Array(NOTED);
}
/**
 * An ASCII character that is not a letter, digit or run character: it ends a base64 run, a blank
 * run is written as one space, a control character is hidden (`r.o`, `r.state` go in and out).
 * True to stop: a control character in a text not yet stripped.
 */
export const readOther = (
  text: string,
  i: number,
  c: number,
  k: number,
  buf: Buffer,
  runs: boolean,
  stripped: boolean,
  r: Reading,
  scanner: Scanner,
): boolean => {
  if (runs) {
    keepRun(r, text, r.runFrom, i, endOfRun(text, i));
    if (c === PERCENT) r.percents.push(i);
  }
  r.runFrom = i + 1;
  let f = c;
  if (k & BLANK) {
    const after = r.lastBlank === i - 1;
    r.lastBlank = i;
    if (after) {
      r.edited = true;
      return false;
    }
    if (c === 9) r.edited = true;
    f = 32;
  }
  buf[r.o] = f;
  r.state = scanner.next[r.state | f] as number;
  if (r.state >= scanner.finalFrom) ended(scanner, r.state, r.o, buf, r.hits);
  r.o++;
  if (k & CONTROL) {
    r.hidden = true;
    if (!stripped) return true;
  }
  return false;
};

/**
 * A code unit above ASCII (or the surrogate pair it begins): written as itself (up to U+00FF) or as
 * placeholders, fed to the automaton, and its kind noted (`r.o`, `r.state`, `r.placeholders` go in
 * and out). True to stop: a hidden code point in a text not yet stripped.
 */
export const readWide = (
  text: string,
  i: number,
  c: number,
  buf: Buffer,
  lookalikes: Readonly<Record<string, string>>,
  stripped: boolean,
  r: Reading,
  scanner: Scanner,
): boolean => {
  const { noted, hits } = r;
  let k: number;
  if (
    c >= 0xd800 &&
    c <= 0xdbff &&
    i + 1 < text.length &&
    (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00
  ) {
    // (The low surrogate may begin the next piece: the loops go on after it.)
    const low = text.charCodeAt(i + 1);
    k = kindOfPair(((c - 0xd800) << 10) + (low - 0xdc00) + 0x10000, lookalikes);
    if (r.placeholders < NOTED - 1) {
      noted[r.placeholders] = i;
      noted[r.placeholders + 1] = i + 1;
    }
    r.placeholders += 2;
    buf[r.o] = PLACEHOLDER;
    r.state = feed(scanner, r.state, c, r.o++, buf, hits);
    buf[r.o] = PLACEHOLDER;
    r.state = feed(scanner, r.state, low, r.o++, buf, hits);
  } else {
    k = c >= 0xd800 && c <= 0xdfff ? FOLD : (wide[c] as number) || kindOfUnit(c, lookalikes);
    if (c < 256) buf[r.o] = c;
    else {
      if (r.placeholders < NOTED) noted[r.placeholders] = i;
      r.placeholders++;
      buf[r.o] = PLACEHOLDER;
    }
    r.state = feed(scanner, r.state, c, r.o++, buf, hits);
  }
  if (isWideSpace(c)) r.spaces = true;
  if (k === HIDDEN && !stripped) {
    r.hidden = true;
    return true;
  }
  if (k !== STABLE) {
    r.wide = true;
    r.folds.push(i);
  }
  return false;
};

/** A base64 run from `from` to `i` long enough, and not a value after `=`, is kept as `[from, to)`. */
export const keepRun = (r: Reading, text: string, from: number, i: number, to: number): void => {
  if (i - from >= MIN_RUN && (from === 0 || text.charCodeAt(from - 1) !== EQUALS))
    r.runs.push(from, to);
};
