import { compileScanner, type Scanner } from './automaton.js';
import { ended } from './scan.js';
import { swapsOf, widen, type Swaps } from './swaps.js';
import { ASCII, B64, EQUALS, FOLDED, gluedAt, MIN_RUN, UPPER } from './survey-chars.js';
import { keepRun, NOTED, Reading, readOther, readWide } from './survey-read.js';

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

const reading = new Reading();

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
      const swaps = swapsOf(text, written, r.length, r.placeholders, r.noted, NOTED);
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
  r.runFrom = 0;
  r.lastBlank = -2;
  r.edited = false;
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
          // A space goes before an upper-case letter glued to a word.
          if (k & UPPER && i > 0 && gluedAt(text, i)) {
            r.edited = true;
            if (o + n - i + 1 > cap) {
              buf = grow(buf, o, n);
              cap = buf.length;
            }
            buf[o] = 32;
            state = next[state | 32] as number;
            if (state >= finalFrom) ended(scanner, state, o, buf, hits);
            o++;
          }
          buf[o] = c;
          state = next[state | (FOLDED[c] as number)] as number;
          if (state >= finalFrom) ended(scanner, state, o, buf, hits);
          o++;
          continue;
        }
        r.o = o;
        r.state = state;
        const stop = readOther(text, i, c, k, buf, runs, stripped, r, scanner);
        o = r.o;
        state = r.state;
        if (stop) break text;
        continue;
      }
      // Above ASCII: a base64 run ends here.
      if (runs) keepRun(r, text, r.runFrom, i, i);
      const pair =
        c >= 0xd800 && c <= 0xdbff && i + 1 < n && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      r.o = o;
      r.state = state;
      const stop = readWide(text, i, c, buf, lookalikes, stripped, r, scanner);
      o = r.o;
      state = r.state;
      if (pair) i++;
      if (stop) break text;
      r.runFrom = i + 1;
    }
  }
  r.length = o;
  written = buf;
};

const grow = (buf: Buffer, length: number, n: number): Buffer => {
  const grown = Buffer.allocUnsafe(buf.length * 2);
  buf.copy(grown, 0, 0, length);
  if (n <= KEEP) bytes = grown;
  return grown;
};
