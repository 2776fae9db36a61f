import { mayHideText } from '../sanitize/hidden.js';
import { compileScanner, ended, feed, NumberList, type Scanner } from './scan.js';
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
  /** Where those code points begin in the text (`wide`), in order. */
  readonly folds: ArrayLike<number>;
  /**
   * What the rules scan: the text with glued words split (`aB` → `a B`, `ABc` → `A Bc`, `a_Bc` →
   * `a_ Bc`) and each blank run (two or more, or a tab) made one space; the text itself if none.
   */
  scan: string;
  /** Runs that the base64 search (`(?:^|[^A-Za-z0-9+/_=-])([A-Za-z0-9+/_-]{24,}={0,2})`) finds, as pairs `[from, to)`. */
  readonly runs: number[];
  /** Where the text holds a `%` (a percent-encoded span begins at one, and needs six). */
  readonly percents: ArrayLike<number>;
  /** Where the starts of the scanner's rules begin in `scan` (see `hitsOf`), found while it was written. */
  readonly hits: Float64Array;
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
/** What the automaton reads for an ASCII character: letters in lower case, a tab as a space. */
const FOLDED = new Uint8Array(128);
for (let c = 0; c < 128; c++) FOLDED[c] = c >= 65 && c <= 90 ? c + 32 : c === 9 ? 32 : c;
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
  if (
    ch.normalize('NFKC') !== ch ||
    MARK.test(ch) ||
    (c >= 0x1100 && c <= 0x11ff) ||
    ch in lookalikes
  )
    return FOLD;
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
  length < PAGED || length >= OUTSIDE || buf.length < OUTSIDE
    ? buf.toString('latin1', 0, length)
    : buf.toString('latin1', 0, OUTSIDE).slice(0, length);

const NOTED = 4096;
/** What one read leaves for the next steps (one object, reused: its shape never changes). */
class Reading {
  hidden = false;
  wide = false;
  edited = false;
  /** A space above U+00FF was written (it cannot be a placeholder). */
  spaces = false;
  /** Bytes written to `bytes`. */
  length = 0;
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
const reading = new Reading();
const wide = new Uint8Array(0x10000);
const astral = new Map<number, number>();

/**
 * Surveys `text` for `prepare`; look-alikes are the keys of `lookalikes` (either case). With `runs`
 * false the base64 runs are not looked for (a folded text: its runs were found in the unfolded one).
 * With `stripped` true the text is already stripped: a code point that is still a hidden candidate
 * (a joiner next to an emoji) goes to the folding path.
 */
export const survey = (
  text: string,
  lookalikes: Readonly<Record<string, string>>,
  runs: boolean,
  stripped: boolean,
  scanner: Scanner = NONE,
): Survey => {
  const n = text.length;
  // At most one space is inserted per code unit of the text; the buffer grows if more are needed.
  const cap = Math.max(n + (n >> 2) + 16, n >= PAGED ? OUTSIDE : 0);
  if (bytes.length < cap && n <= KEEP) bytes = Buffer.allocUnsafe(cap);
  const r = reading;
  r.hidden = r.wide = r.edited = r.spaces = false;
  r.length = 0;
  r.placeholders = 0;
  r.runFrom = 0;
  r.runs = [];
  empty();
  read(
    text,
    bytes.length >= cap ? bytes : Buffer.allocUnsafe(cap),
    lookalikes,
    runs,
    stripped,
    r,
    scanner,
  );
  const out: Survey = {
    hidden: r.hidden,
    wide: r.wide,
    folds: r.folds.toArray(),
    scan: text,
    runs: r.runs,
    percents: r.percents.toArray(),
    hits: r.hits.toArray(),
  };
  if (r.hidden && !stripped) return done(out);
  const from = r.runFrom;
  if (runs && n - from >= MIN_RUN && (from === 0 || text.charCodeAt(from - 1) !== EQUALS))
    out.runs.push(from, n);
  if (r.edited) {
    if (r.placeholders === 0) out.scan = latin1(written, r.length);
    else {
      const swaps = swapsOf(text, written, r.length, r.placeholders, r.noted);
      if (!r.spaces) {
        out.scan = latin1(written, r.length);
        out.swaps = swaps;
      } else out.scan = widen(written, r.length, swaps);
    }
  }
  return done(out);
};

/** Empties the reused lists, letting go of large arrays: before a read, and once what they hold is copied out. */
const empty = (): void => {
  reading.hits.reset();
  reading.percents.reset();
  reading.folds.reset();
};
const done = (out: Survey): Survey => {
  empty();
  return out;
};

/** No rules: a survey that only rewrites. */
const NONE = compileScanner([]);

/** The buffer `read` wrote to (it may have grown). */
let written: Buffer = bytes;

/**
 * The text is read in pieces of `PIECE` code units, each copied at once into `piece`: reading a
 * typed array costs less per character than `charCodeAt` (which checks how the string is stored
 * every time), and the copy is one native call per piece.
 */
const PIECE = 8192;
const piece = new Uint16Array(PIECE);
const pieceBytes = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);

/**
 * The one loop over the text: it stops early only at a hidden code point in a text not yet stripped.
 * Each code unit it writes is fed to the automaton of `scanner` (the scan text has no blank runs).
 * A lower-case letter, most of a text, is only copied and fed; every other case costs a few tests.
 */
const read = (
  text: string,
  buf: Buffer,
  lookalikes: Readonly<Record<string, string>>,
  runs: boolean,
  stripped: boolean,
  r: Reading,
  scanner: Scanner,
): void => {
  const n = text.length;
  const hits = r.hits;
  const { next, finalFrom } = scanner;
  let state = 0;
  let cap = buf.length;
  let o = 0;
  // The base64 run that reaches the current character began after the last character not in one:
  // no bookkeeping while a run goes on (every letter is a run character).
  let runFrom = 0;
  // The last blank read: a blank right after it is dropped (a blank run is written as one space).
  let lastBlank = -2;
  let edited = false;
  const { percents, folds, noted } = r;
  let placeholders = 0;
  let i = 0;
  text: while (i < n) {
    const base = i;
    const end = Math.min(n, i + PIECE);
    pieceBytes.write(text.slice(i, end), 0, 'utf16le');
    for (; i < end; i++) {
      const c = piece[i - base] as number;
      if (c >= 97 && c <= 122) {
        buf[o] = c;
        state = next[state | c] as number;
        if (state >= finalFrom) ended(scanner, state, o, buf, hits);
        o++;
        continue;
      }
      if (c < 128) {
        const k = ASCII[c] as number;
        if (k & B64) {
          if (k & UPPER && i > 0) {
            // A space goes before an upper-case letter glued to a word: `aB`, `ABc`, `a_Bc`/`0_Bc`.
            const p = ASCII[text.charCodeAt(i - 1)] ?? 0;
            if (
              p & LOWER ||
              ((p & UPPER ||
                (text.charCodeAt(i - 1) === UNDERSCORE &&
                  i > 1 &&
                  (ASCII[text.charCodeAt(i - 2)] ?? 0) & (LOWER | DIGIT))) &&
                (ASCII[text.charCodeAt(i + 1)] ?? 0) & LOWER)
            ) {
              edited = true;
              if (o + n - i + 1 > cap) {
                buf = grow(buf, o, n);
                cap = buf.length;
              }
              buf[o] = 32;
              state = next[state | 32] as number;
              if (state >= finalFrom) ended(scanner, state, o, buf, hits);
              o++;
            }
          }
          buf[o] = c;
          state = next[state | (FOLDED[c] as number)] as number;
          if (state >= finalFrom) ended(scanner, state, o, buf, hits);
          o++;
          continue;
        }
        // Not a run character: the run before it ends here.
        if (runs) {
          if (i - runFrom >= MIN_RUN && (runFrom === 0 || text.charCodeAt(runFrom - 1) !== EQUALS))
            r.runs.push(runFrom, endOfRun(text, i));
          if (c === PERCENT) percents.push(i);
        }
        runFrom = i + 1;
        if (k & BLANK) {
          const after = lastBlank === i - 1;
          lastBlank = i;
          if (after) {
            edited = true;
            continue;
          }
          if (c === 9) edited = true;
          buf[o] = 32;
          state = next[state | 32] as number;
        } else {
          buf[o] = c;
          state = next[state | c] as number;
        }
        if (state >= finalFrom) ended(scanner, state, o, buf, hits);
        o++;
        if (k & CONTROL) {
          r.hidden = true;
          if (!stripped) break text;
        }
        continue;
      }
      // Above ASCII: a base64 run ends here.
      if (
        runs &&
        i - runFrom >= MIN_RUN &&
        (runFrom === 0 || text.charCodeAt(runFrom - 1) !== EQUALS)
      )
        r.runs.push(runFrom, i);
      let k: number;
      const at = i;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        // (The low surrogate may begin the next piece: the loops go on after it.)
        const low = text.charCodeAt(i + 1);
        k = kindOfPair(((c - 0xd800) << 10) + (low - 0xdc00) + 0x10000, lookalikes);
        if (placeholders < NOTED - 1) {
          noted[placeholders] = i;
          noted[placeholders + 1] = i + 1;
        }
        placeholders += 2;
        buf[o] = PLACEHOLDER;
        state = feed(scanner, state, c, o++, buf, hits);
        buf[o] = PLACEHOLDER;
        state = feed(scanner, state, low, o++, buf, hits);
        i++;
      } else {
        k = c >= 0xd800 && c <= 0xdfff ? FOLD : (wide[c] as number) || kindOfUnit(c, lookalikes);
        if (c < 256) buf[o] = c;
        else {
          if (placeholders < NOTED) noted[placeholders] = i;
          placeholders++;
          buf[o] = PLACEHOLDER;
        }
        state = feed(scanner, state, c, o++, buf, hits);
      }
      if (
        c === 0x1680 ||
        (c >= 0x2000 && c <= 0x200a) ||
        c === 0x2028 ||
        c === 0x2029 ||
        c === 0x202f ||
        c === 0x205f ||
        c === 0x3000 ||
        c === 0xfeff
      )
        r.spaces = true;
      if (k === HIDDEN && !stripped) {
        r.hidden = true;
        break text;
      }
      if (k !== STABLE) {
        r.wide = true;
        folds.push(at);
      }
      runFrom = i + 1;
    }
  }
  r.length = o;
  r.placeholders = placeholders;
  r.edited = edited;
  r.runFrom = runFrom;
  written = buf;
};

const kindOfUnit = (c: number, lookalikes: Readonly<Record<string, string>>): number =>
  (wide[c] = kindOf(String.fromCharCode(c), lookalikes));

/** Kinds of plane 1 (emoji, symbols, historic scripts), by code point − 0x10000; 0 = not yet known. */
const plane1 = new Uint8Array(0x10000);
const kindOfPair = (cp: number, lookalikes: Readonly<Record<string, string>>): number => {
  if (cp < 0x20000)
    return (
      (plane1[cp - 0x10000] as number) ||
      (plane1[cp - 0x10000] = kindOf(String.fromCodePoint(cp), lookalikes))
    );
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

/**
 * Where the `count` placeholders of the written text are and the code units they stand for: every
 * code unit of `text` above U+00FF is written as one, in order, and nothing else is (U+0080 itself is
 * a control character, stripped before the read whose text is kept: see `PLACEHOLDER`).
 */
const swapsOf = (
  text: string,
  buf: Buffer,
  length: number,
  count: number,
  noted: Int32Array,
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
const widen = (buf: Buffer, length: number, { at, units }: Swaps): string => {
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
