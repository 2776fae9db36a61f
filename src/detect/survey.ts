import { mayHideText } from '../sanitize/hidden.js';
import { compileScanner, feed, type Scanner } from './scan.js';
import { PLACEHOLDER, type Swaps } from './swaps.js';

/**
 * One read of a text, code unit by code unit, that finds everything `prepare` may have to do to it:
 * hidden code points to strip, code points NFKC or look-alike folding may change, glued words to
 * split, blank runs to collapse, and the runs of base64/hex characters to try decoding. Most text
 * needs none of the rewriting passes, and a pass that builds a string as long as the text costs more
 * here than reading it: every pass is decided by this one read.
 */
export interface Survey {
  /** A code point `stripHidden` may remove (then the text is stripped and surveyed again). */
  hidden: boolean;
  /** A code point that NFKC or look-alike folding may change (then `foldWide` runs and the result is surveyed again). */
  wide: boolean;
  /**
   * What the rules scan: the text with glued words split (`aB` → `a B`, `ABc` → `A Bc`, `a_Bc` →
   * `a_ Bc`) and each blank run (two or more, or a tab) made one space; the text itself if none.
   */
  scan: string;
  /** Runs that the base64 search (`(?:^|[^A-Za-z0-9+/_=-])([A-Za-z0-9+/_-]{24,}={0,2})`) finds, as pairs `[from, to)`. */
  readonly runs: number[];
  /** How many `%` the text holds (a percent-encoded span needs six). */
  percents: number;
  /** Where the starts of the scanner's rules begin in `scan` (see `hitsOf`), found while it was written. */
  readonly hits: number[];
  /** The code units above U+00FF that `scan` holds as `PLACEHOLDER`, if any (see `restore`). */
  swaps?: Swaps;
}

const UPPER = 1;
const LOWER = 2;
const DIGIT = 4;
/** A base64/base64url/hex run character: `[A-Za-z0-9+/_-]`. */
const B64 = 8;
const BLANK = 16;
/** A control character that `stripHidden` removes (not tab, line feed or carriage return). */
const CONTROL = 32;
const ASCII = new Uint8Array(128);
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
const UNDERSCORE = 95;
const EQUALS = 61;
const PERCENT = 37;
const MIN_RUN = 24;

/** What a code point above ASCII asks for. */
const STABLE = 1;
const FOLD = 2;
const HIDDEN = 3;
const MARK = /\p{M}/u;

/**
 * A code point is left alone by NFKC in any context when it is its own NFKC form, is not a mark
 * (which may compose with or reorder against its neighbours) and is not a Hangul vowel or final
 * consonant (which compose with the syllable before); and by look-alike folding when it is not one.
 */
const kindOf = (ch: string, lookalikes: Readonly<Record<string, string>>): number => {
  const c = ch.codePointAt(0) as number;
  if (c === 0x200c || c === 0x200d || mayHideText(ch)) return HIDDEN;
  if (ch.normalize('NFKC') !== ch || MARK.test(ch) || (c >= 0x1100 && c <= 0x11ff) || ch in lookalikes) return FOLD;
  return STABLE;
};

/**
 * The scan text is written here, one code unit at a time, and decoded once: a string as long as the
 * text built from slices costs more than the whole read (it is allocated apart from the small ones),
 * while the decoder makes a string that large outside the heap. Reused between calls (`prepare` is
 * synchronous); a text longer than `KEEP` gets buffers of its own.
 */
const KEEP = 1 << 20;
let units: Uint16Array = new Uint16Array(4096);
let bytes = Buffer.allocUnsafe(4096);

/** What one read leaves for the next steps (one object, reused: its shape never changes). */
class Reading {
  hidden = false;
  wide = false;
  edited = false;
  /** Largest code unit above ASCII. */
  max = 0;
  /** A space above U+00FF was written (it cannot be a placeholder). */
  spaces = false;
  /** Code units written to `units`. */
  length = 0;
  percents = 0;
  /** Where the base64 run still open at the end of the text began, or -1. */
  runFrom = -1;
  runOk = false;
  runs: number[] = [];
  hits: number[] = [];
}
const reading = new Reading();
const wide = new Uint8Array(0x10000);
const astral = new Map<number, number>();

/**
 * Surveys `text` for `prepare`; look-alikes are the keys of `lookalikes` (either case). With `runs`
 * false the base64 runs are not looked for (a folded text: its runs were found in the unfolded one).
 * With `stripped` true the text is already stripped: a code point that is still a hidden candidate
 * (a joiner next to an emoji) goes to the folding path.
 */
export const survey = (text: string, lookalikes: Readonly<Record<string, string>>, runs: boolean, stripped: boolean, scanner: Scanner = NONE): Survey => {
  const n = text.length;
  // At most one space is inserted per code unit of the text; the buffer grows if more are needed.
  const cap = n + (n >> 2) + 16;
  if (units.length < cap) {
    if (n <= KEEP) units = new Uint16Array(cap);
  }
  const r = reading;
  r.hidden = r.wide = r.edited = r.runOk = r.spaces = false;
  r.max = r.length = r.percents = 0;
  r.runFrom = -1;
  r.runs = [];
  r.hits = [];
  read(text, units.length >= cap ? units : new Uint16Array(cap), lookalikes, runs, stripped, r, scanner);
  const out: Survey = { hidden: r.hidden, wide: r.wide, scan: text, runs: r.runs, percents: r.percents, hits: r.hits };
  if (r.hidden && !stripped) return out;
  if (runs && r.runFrom >= 0 && r.runOk && n - r.runFrom >= MIN_RUN) out.runs.push(r.runFrom, n);
  if (r.edited) {
    if (r.max < 256 || r.spaces) out.scan = decode(written, r.length, r.max);
    else {
      const swaps: Swaps = { at: [], units: [] };
      out.scan = narrow(written, r.length, swaps);
      out.swaps = swaps;
    }
  }
  return out;
};

/** No rules: a survey that only rewrites. */
const NONE = compileScanner([]);

/** The buffer `read` wrote to (it may have grown). */
let written: Uint16Array = units;

/**
 * The one loop over the text: it stops early only at a hidden code point in a text not yet stripped.
 * Each code unit it writes is fed to the automaton of `scanner` (the scan text has no blank runs).
 */
const read = (text: string, buf: Uint16Array, lookalikes: Readonly<Record<string, string>>, runs: boolean, stripped: boolean, r: Reading, scanner: Scanner): void => {
  const n = text.length;
  const hits = r.hits;
  let state = 0;
  let cap = buf.length;
  let o = 0;
  let blank = false;
  let runFrom = -1;
  let runOk = false;
  let edited = false;
  let percents = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      const k = ASCII[c] as number;
      if (k & LOWER) {
        // Most of a text: nothing to do but copy it (and keep a base64 run going).
        blank = false;
        buf[o] = c;
        state = feed(scanner, state, c, o++, buf, hits);
        if (runs && runFrom < 0) {
          runFrom = i;
          runOk = i === 0 || text.charCodeAt(i - 1) !== EQUALS;
        }
        continue;
      }
      if (k & BLANK) {
        if (blank) edited = true;
        else {
          if (c === 9) edited = true;
          blank = true;
          buf[o] = 32;
          state = feed(scanner, state, 32, o++, buf, hits);
        }
      } else {
        blank = false;
        if (k & UPPER && i > 0) {
          // A space goes before an upper-case letter glued to a word: `aB`, `ABc`, `a_Bc`/`0_Bc`.
          const p = ASCII[text.charCodeAt(i - 1)] ?? 0;
          if (
            p & LOWER ||
            ((p & UPPER || (text.charCodeAt(i - 1) === UNDERSCORE && i > 1 && (ASCII[text.charCodeAt(i - 2)] ?? 0) & (LOWER | DIGIT))) &&
              (ASCII[text.charCodeAt(i + 1)] ?? 0) & LOWER)
          ) {
            edited = true;
            if (o + n - i + 1 > cap) {
              buf = grow(buf, o, n);
              cap = buf.length;
            }
            buf[o] = 32;
            state = feed(scanner, state, 32, o++, buf, hits);
          }
        }
        buf[o] = c;
        state = feed(scanner, state, c, o++, buf, hits);
      }
      if (runs) {
        if (k & B64) {
          if (runFrom < 0) {
            runFrom = i;
            runOk = i === 0 || text.charCodeAt(i - 1) !== EQUALS;
          }
        } else {
          if (runFrom >= 0 && runOk && i - runFrom >= MIN_RUN) r.runs.push(runFrom, endOfRun(text, i));
          runFrom = -1;
          if (c === PERCENT) percents++;
        }
      }
      if (k & CONTROL) {
        r.hidden = true;
        if (!stripped) break;
      }
      continue;
    }
    // Above ASCII: a blank run and a base64 run end here.
    blank = false;
    if (runFrom >= 0) {
      if (runOk && i - runFrom >= MIN_RUN) r.runs.push(runFrom, i);
      runFrom = -1;
    }
    let k: number;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      const low = text.charCodeAt(i + 1);
      k = kindOfPair(((c - 0xd800) << 10) + (low - 0xdc00) + 0x10000, lookalikes);
      buf[o] = c;
      state = feed(scanner, state, c, o++, buf, hits);
      buf[o] = low;
      state = feed(scanner, state, low, o++, buf, hits);
      i++;
    } else {
      k = c >= 0xd800 && c <= 0xdfff ? FOLD : (wide[c] as number) || kindOfUnit(c, lookalikes);
      buf[o] = c;
      state = feed(scanner, state, c, o++, buf, hits);
    }
    if (c > r.max) r.max = c;
    if (c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff) r.spaces = true;
    if (k === HIDDEN && !stripped) {
      r.hidden = true;
      break;
    }
    if (k !== STABLE) r.wide = true;
  }
  r.length = o;
  r.edited = edited;
  r.percents = percents;
  r.runFrom = runFrom;
  r.runOk = runOk;
  written = buf;
};

const kindOfUnit = (c: number, lookalikes: Readonly<Record<string, string>>): number =>
  (wide[c] = kindOf(String.fromCharCode(c), lookalikes));

const kindOfPair = (cp: number, lookalikes: Readonly<Record<string, string>>): number => {
  let k = astral.get(cp);
  if (k === undefined) astral.set(cp, (k = kindOf(String.fromCodePoint(cp), lookalikes)));
  return k;
};

const grow = (buf: Uint16Array, length: number, n: number): Uint16Array => {
  const grown = new Uint16Array(buf.length * 2);
  grown.set(buf.subarray(0, length));
  if (n <= KEEP) units = grown;
  return grown;
};

/** The first `length` code units of `buf` as a string: one byte per character if they all fit. */
const decode = (buf: Uint16Array, length: number, max: number): string => {
  if (max >= 256) return Buffer.from(buf.buffer, buf.byteOffset, length * 2).toString('utf16le');
  let b = length <= KEEP ? bytes : Buffer.allocUnsafe(length);
  if (b.length < length) b = bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = buf[i] as number;
  return b.toString('latin1', 0, length);
};

/** Like `decode` for code units some of which are above U+00FF: those become placeholders, listed in `swaps`. */
const narrow = (buf: Uint16Array, length: number, swaps: Swaps): string => {
  let b = length <= KEEP ? bytes : Buffer.allocUnsafe(length);
  if (b.length < length) b = bytes = Buffer.allocUnsafe(length);
  const at = swaps.at as number[];
  const units = swaps.units as number[];
  for (let i = 0; i < length; i++) {
    const u = buf[i] as number;
    if (u < 256) b[i] = u;
    else {
      b[i] = PLACEHOLDER;
      at.push(i);
      units.push(u);
    }
  }
  return b.toString('latin1', 0, length);
};

/** A base64 run ending at `i` takes up to two `=` of padding. */
const endOfRun = (text: string, i: number): number => {
  let end = i;
  if (text.charCodeAt(end) === EQUALS) end++;
  if (text.charCodeAt(end) === EQUALS) end++;
  return end;
};
