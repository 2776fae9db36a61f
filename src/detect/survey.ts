import { mayHideText } from '../sanitize/hidden.js';
import { compileScanner, ended, feed, type Scanner } from './scan.js';
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
 * The scan text is written here, one byte per character (see `PLACEHOLDER`), and decoded once: a
 * string as long as the text built from slices costs more than the whole read (it is allocated apart
 * from the small ones, page by page), the decoder copies bytes, and half the bytes cost half. Reused
 * between calls (`prepare` is synchronous); a text longer than `KEEP` (the default cap on a result,
 * `content.output.maxBytes`) gets a buffer of its own.
 */
const KEEP = 8 << 20;
let bytes: Buffer = Buffer.allocUnsafe(4096);
/**
 * Node makes a string of more than about 1 MB (`EXTERN_APEX` in its `string_bytes.cc`) outside the
 * V8 heap, where it costs a copy; a smaller one that does not fit a heap page costs far more (its
 * pages are mapped for it alone, one fault each). A scan text between `PAGED` and that size is
 * decoded from a buffer that long and sliced: a slice shares its parent's characters.
 */
const OUTSIDE = 0xfbee9 + 1;
const PAGED = 120 << 10;
const latin1 = (buf: Buffer, length: number): string =>
  length < PAGED || length >= OUTSIDE || buf.length < OUTSIDE ? buf.toString('latin1', 0, length) : buf.toString('latin1', 0, OUTSIDE).slice(0, length);

/** What one read leaves for the next steps (one object, reused: its shape never changes). */
class Reading {
  hidden = false;
  wide = false;
  edited = false;
  /** A space above U+00FF was written (it cannot be a placeholder). */
  spaces = false;
  /** Bytes written to `bytes`. */
  length = 0;
  percents = 0;
  /** Where the base64 run still open at the end of the text began, or -1. */
  runFrom = -1;
  runOk = false;
  runs: number[] = [];
  hits: number[] = [];
  /** Placeholders written: where, and the code units they stand for. */
  at: number[] = [];
  units: number[] = [];
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
  const cap = Math.max(n + (n >> 2) + 16, n >= PAGED ? OUTSIDE : 0);
  if (bytes.length < cap && n <= KEEP) bytes = Buffer.allocUnsafe(cap);
  const r = reading;
  r.hidden = r.wide = r.edited = r.runOk = r.spaces = false;
  r.length = r.percents = 0;
  r.runFrom = -1;
  r.runs = [];
  r.hits = [];
  r.at = [];
  r.units = [];
  read(text, bytes.length >= cap ? bytes : Buffer.allocUnsafe(cap), lookalikes, runs, stripped, r, scanner);
  const out: Survey = { hidden: r.hidden, wide: r.wide, scan: text, runs: r.runs, percents: r.percents, hits: r.hits };
  if (r.hidden && !stripped) return out;
  if (runs && r.runFrom >= 0 && r.runOk && n - r.runFrom >= MIN_RUN) out.runs.push(r.runFrom, n);
  if (r.edited) {
    if (r.at.length === 0) out.scan = latin1(written, r.length);
    else if (!r.spaces) {
      out.scan = latin1(written, r.length);
      out.swaps = { at: r.at, units: r.units };
    } else out.scan = widen(written, r.length, r.at, r.units);
  }
  return out;
};

/** No rules: a survey that only rewrites. */
const NONE = compileScanner([]);

/** The buffer `read` wrote to (it may have grown). */
let written: Buffer = bytes;

/**
 * The one loop over the text: it stops early only at a hidden code point in a text not yet stripped.
 * Each code unit it writes is fed to the automaton of `scanner` (the scan text has no blank runs).
 */
const read = (text: string, buf: Buffer, lookalikes: Readonly<Record<string, string>>, runs: boolean, stripped: boolean, r: Reading, scanner: Scanner): void => {
  const n = text.length;
  const hits = r.hits;
  const { next, final } = scanner;
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
        state = next[(state << 7) | c] as number;
        if (final[state] !== 0) ended(scanner, state, o, buf, hits);
        o++;
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
          state = next[(state << 7) | 32] as number;
          if (final[state] !== 0) ended(scanner, state, o, buf, hits);
          o++;
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
        state = next[(state << 7) | (k & UPPER ? c + 32 : c)] as number;
        if (final[state] !== 0) ended(scanner, state, o, buf, hits);
        o++;
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
      r.at.push(o, o + 1);
      r.units.push(c, low);
      buf[o] = PLACEHOLDER;
      state = feed(scanner, state, c, o++, buf, hits);
      buf[o] = PLACEHOLDER;
      state = feed(scanner, state, low, o++, buf, hits);
      i++;
    } else {
      k = c >= 0xd800 && c <= 0xdfff ? FOLD : (wide[c] as number) || kindOfUnit(c, lookalikes);
      if (c < 256) buf[o] = c;
      else {
        r.at.push(o);
        r.units.push(c);
        buf[o] = PLACEHOLDER;
      }
      state = feed(scanner, state, c, o++, buf, hits);
    }
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

const grow = (buf: Buffer, length: number, n: number): Buffer => {
  const grown = Buffer.allocUnsafe(buf.length * 2);
  buf.copy(grown, 0, 0, length);
  if (n <= KEEP) bytes = grown;
  return grown;
};

/** The written text with its placeholders replaced again, two bytes per character (it holds a space above U+00FF). */
const widen = (buf: Buffer, length: number, at: readonly number[], units: readonly number[]): string => {
  const wide16 = new Uint16Array(length);
  for (let i = 0; i < length; i++) wide16[i] = buf[i] as number;
  for (let k = 0; k < at.length; k++) wide16[at[k] as number] = units[k] as number;
  return Buffer.from(wide16.buffer, wide16.byteOffset, length * 2).toString('utf16le');
};

/** A base64 run ending at `i` takes up to two `=` of padding. */
const endOfRun = (text: string, i: number): number => {
  let end = i;
  if (text.charCodeAt(end) === EQUALS) end++;
  if (text.charCodeAt(end) === EQUALS) end++;
  return end;
};
