import { stripHidden } from '../sanitize/hidden.js';
import { hiddenMarkup } from './markup.js';
import type { Scanner } from './automaton.js';
import { hitsOf } from './scan.js';
import { survey as read, type Survey } from './survey.js';
import type { Swaps } from './swaps.js';
import type { Normalized } from './types.js';
import { ENTITY_TABLE, LOOKALIKE_TABLE } from './unicode-data.js';

/**
 * Normalises one item before any rule reads it, so an attacker cannot dodge a rule with look-alike
 * letters, full-width forms, invisible characters, encodings or markup the user never sees.
 */

/**
 * Look-alikes of either case (Unicode confusables.txt, UTS #39, generated into `unicode-data.ts`)
 * and the ASCII character they stand for: Cyrillic, Greek, Armenian, Cherokee, small capitals, …
 */
export const LOOKALIKES: Readonly<Record<string, string>> = LOOKALIKE_TABLE;
const LOOKALIKE_RE = new RegExp(`[${Object.keys(LOOKALIKES).join('')}]`, 'gu');
const NON_ASCII = /[^\x00-\x7f]/;

const MAX_DECODED = 64 * 1024;
const HEX = /^(?:[0-9a-fA-F]{2}){12,}$/;
const PERCENT = /(?:%[0-9a-fA-F]{2}[^%\s]{0,3}){6,}/g;
const ENTITY = /&(?:#(x[0-9a-f]{1,6}|[0-9]{1,7})|([a-z][a-z0-9]{1,31}));/gi;
/** A character reference, numeric or named (a cheap test before the whole text is made canonical). */
const MAY_ENTITY = /&#|&[a-z][a-z0-9]{1,31};/i;

/** Mostly printable text with some spaces: a decoded span that is language, not binary. */
const isText = (s: string): boolean => {
  if (s.length < 8) return false;
  let printable = 0;
  let spaces = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || c === 10 || c === 9) printable++;
    if (c === 0x20) spaces++;
  }
  return printable / s.length > 0.92 && spaces >= 1;
};

/**
 * Decodes encoded spans that hold text; binary (images, hashes, keys) is ignored. The base64/hex
 * runs and where `%` stands come from the survey of `raw`.
 */
const decodeSpans = (raw: string, found: Survey): string[] => {
  const out: string[] = [];
  let budget = MAX_DECODED;
  const keep = (s: string) => {
    if (budget > 0 && isText(s)) {
      out.push(s.slice(0, budget));
      budget -= s.length;
    }
  };
  const { runs } = found;
  for (let r = 0; r < runs.length && budget > 0; r += 2) {
    if ((runs[r + 1] as number) - (runs[r] as number) > 16_384) continue;
    const run = raw.slice(runs[r], runs[r + 1]);
    keep(
      Buffer.from(run, run.includes('-') || run.includes('_') ? 'base64url' : 'base64').toString(
        'latin1',
      ),
    );
    // Hex spans, also ones joined to other text by - _ + /.
    for (const part of /[-_+/]/.test(run) ? run.split(/[-_+/]/) : [run.replace(/=+$/, '')])
      if (part.length >= 24 && HEX.test(part)) keep(Buffer.from(part, 'hex').toString('latin1'));
  }
  // A span holds six escapes, each at most six characters after the one before: no span begins
  // before the first `%` with five more within 30 characters, and most texts have none at all.
  const { percents } = found;
  let first = 0;
  while (
    first + 5 < percents.length &&
    (percents[first + 5] as number) - (percents[first] as number) > 30
  )
    first++;
  if (first + 5 < percents.length) {
    PERCENT.lastIndex = percents[first] as number;
    for (let m = PERCENT.exec(raw); m; m = PERCENT.exec(raw)) {
      try {
        keep(decodeURIComponent(m[0]));
      } catch {
        // untrusted: malformed escapes are just text
      }
    }
  }
  return out;
};

/** NFKC, confusables, lower case, collapsed blanks: the form every rule is written against. */
export const canonical = (s: string): string => {
  let t = s;
  if (MAY_ENTITY.test(t)) t = t.replace(ENTITY, entity);
  // Folded before words are split, as `prepare` does: a look-alike capital may be where a word begins.
  if (NON_ASCII.test(t)) t = fold(t);
  // Words glued by case alone ("USAIgnore", "ignorePrevious") are split, so rules see them as words.
  // Also a capitalised word glued by an underscore ("Channel_Ignore").
  t = t
    .replace(/([a-z])(?=[A-Z])|([A-Z])(?=[A-Z][a-z])|([a-z0-9]_)(?=[A-Z][a-z])/g, '$1$2$3 ')
    .toLowerCase();
  // Only runs and odd blanks are rewritten: replacing every single space costs more than all rules.
  return t.replace(/[\t\f\v\u00a0]+|  +/g, ' ');
};

/** The text of a numeric or named character reference; an unknown name is left as it is. */
const entity = (whole: string, n: string | undefined, name: string | undefined): string => {
  if (name !== undefined) return ENTITY_TABLE[name] ?? whole;
  const code = n?.[0] === 'x' || n?.[0] === 'X' ? parseInt(n.slice(1), 16) : parseInt(n ?? '', 10);
  return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
};

const survey = (text: string, runs: boolean, stripped: boolean, scanner?: Scanner): Survey =>
  read(text, LOOKALIKES, runs, stripped, scanner);

/** NFKC and look-alike folding of a piece of text. */
const fold = (s: string): string =>
  s.normalize('NFKC').replace(LOOKALIKE_RE, (c) => LOOKALIKES[c] ?? c);

/** Code units of the code point at `i` (a pair is two; a lone surrogate one). */
const widthAt = (s: string, i: number): number => ((s.codePointAt(i) as number) > 0xffff ? 2 : 1);
/** Clusters closer than this many code units are folded as one piece (see `foldWide`). */
const NEAR = 64;

/**
 * NFKC and look-alike folding of `s` where it may change it: each cluster of consecutive code points
 * at `folds` (where the survey found a code point folding may change), with the code point before it
 * (which a combining mark or a Hangul vowel may join). Every other code point is stable (see
 * `survey`): its own NFKC form, not a mark, not a Hangul vowel or final consonant, not a look-alike;
 * such a code point is a starter that composes with nothing before it, so NFKC of the whole text is
 * the text with each cluster folded alone. Most text has no such code point or a few: folding every
 * run of text above ASCII cost a call per run (an emoji per word) whenever one code point anywhere
 * needed folding.
 */
export const foldWide = (s: string, folds: ArrayLike<number>): string => {
  const out: string[] = [];
  let last = 0;
  for (let k = 0; k < folds.length;) {
    const p = folds[k] as number;
    let from = p - 1;
    if (from > 0 && (s.codePointAt(from - 1) as number) > 0xffff) from--; // the code point before is a pair
    from = Math.max(from, last);
    // Clusters closer than `NEAR` are folded as one piece (the stable text between is left as it is):
    // a call per cluster costs more than folding a few stable characters (CJK punctuation every few words).
    let q = p;
    for (k++; k < folds.length && (folds[k] as number) <= q + NEAR; k++) q = folds[k] as number;
    const end = q + widthAt(s, q);
    out.push(s.slice(last, from), fold(s.slice(from, end)));
    last = end;
  }
  if (last === 0) return s;
  out.push(s.slice(last));
  return out.join('');
};

/** A normalised item as the engine reads it: the canonical text is built only if a detector asks for it. */
export interface Prepared extends Normalized {
  /**
   * What the rules scan: like `text` but not lower-cased (rules ignore case); characters above U+00FF
   * may be placeholders (`swaps`).
   */
  readonly scan: string;
  /** With a scanner given to `prepare`: where its starts begin in `scan` (`hitsOf`), found while `scan` was written. */
  readonly hits?: { readonly scanner: Scanner; readonly hits: Float64Array };
  /** The code units above U+00FF that `scan` holds as placeholders (see `survey`), if any. */
  readonly swaps?: Swaps;
}

/**
 * Like `normalize`, with less work per byte: one read of the text (`survey`) decides which passes
 * are needed and writes the scan text (glued words split, blank runs collapsed) once, or not at all,
 * while the automaton of `scanner` reads it. Hidden code points are stripped and NFKC and look-alike
 * folding run only if the text has a code point they change (then it is read again); nothing is
 * lower-cased (the rules are case-insensitive). Text with numeric entities is made canonical as a whole.
 */
export const prepare = (
  strings: readonly string[],
  separator = '\n',
  scanner?: Scanner,
): Prepared => {
  const joined = strings.length === 1 ? (strings[0] as string) : strings.join(separator);
  let raw = joined;
  let hiddenChars = 0;
  let found = survey(joined, true, false, scanner);
  if (found.hidden) {
    const stripped = stripHidden(joined);
    raw = stripped.text;
    hiddenChars = stripped.count;
    found = survey(raw, true, true, scanner);
  }
  const hidden = [...decodeSpans(raw, found), ...hiddenMarkup(raw)];
  const hiddenText = hidden.length > 0 ? canonical(stripHidden(hidden.join('\n')).text) : '';
  // (Form feeds and vertical tabs are hidden characters, already stripped; NFKC makes no-break spaces spaces.)
  if (MAY_ENTITY.test(raw)) {
    const text = canonical(raw);
    return {
      text,
      hidden: hiddenText,
      hiddenChars,
      scan: text,
      ...(scanner && { hits: { scanner, hits: hitsOf(scanner, text) } }),
    };
  }
  let base = raw;
  if (found.wide) {
    // Folding may make ASCII letters (`Ａ` → `A`) that glue to a word: the folded text is surveyed again.
    base = foldWide(raw, found.folds);
    found = survey(base, false, true, scanner);
  }
  let text: string | undefined;
  return {
    get text() {
      return (text ??= canonical(raw));
    },
    hidden: hiddenText,
    hiddenChars,
    // Blank runs become one space, as in canonical form: rules ignore them, but their bounded gaps
    // (`[^.]{0,60}`) count characters, so a doubled space must not push a match out of reach.
    scan: found.scan,
    ...(scanner && { hits: { scanner, hits: found.hits } }),
    ...(found.swaps && { swaps: found.swaps }),
  };
};

/**
 * Joins all strings of one item and normalises them, so a signal split across fields (name,
 * description, a parameter's description) is seen as one text.
 * @example
 * normalize(['Ign\u200bore previous', 'instructions']).text // 'ignore previous\ninstructions'
 */
export const normalize = (strings: readonly string[], separator = '\n'): Normalized => {
  const stripped = stripHidden(strings.join(separator));
  const raw = stripped.text;
  const hidden = [...decodeSpans(raw, survey(raw, true, true)), ...hiddenMarkup(raw)];
  return {
    text: canonical(raw),
    hidden: hidden.length > 0 ? canonical(stripHidden(hidden.join('\n')).text) : '',
    hiddenChars: stripped.count,
  };
};
