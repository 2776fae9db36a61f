import { stripHidden } from '../sanitize/hidden.js';
import type { Normalized } from './types.js';

/**
 * Normalises one item before any rule reads it, so an attacker cannot dodge a rule with look-alike
 * letters, full-width forms, invisible characters, encodings or markup the user never sees.
 */

// Latin look-alikes from Cyrillic, Greek and a few IPA letters (Unicode confusables.txt, lower case
// after NFKC + toLowerCase).
const CONFUSABLES: Record<string, string> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x', ѕ: 's', і: 'i',
  ї: 'i', ј: 'j', ԁ: 'd', ԛ: 'q', ԝ: 'w', һ: 'h', ӏ: 'l', ɡ: 'g', ɑ: 'a', ο: 'o', α: 'a', ε: 'e', ι: 'i', κ: 'k', ν: 'v',
  ρ: 'p', τ: 't', υ: 'u', χ: 'x', ϲ: 'c', ѵ: 'v', ԍ: 'g', ɩ: 'i', ı: 'i', ȷ: 'j', ℓ: 'l',
};
const CONFUSABLE_RE = new RegExp(`[${Object.keys(CONFUSABLES).join('')}]`, 'g');
const NON_ASCII = /[^\x00-\x7f]/;

const MAX_DECODED = 64 * 1024;
// A run of base64/base64url characters (hex is a subset); the leading character is consumed instead
// of a lookbehind, which is slower.
const RUN = /(?:^|[^A-Za-z0-9+/_=-])([A-Za-z0-9+/_-]{24,}={0,2})/g;
const HEX = /^(?:[0-9a-fA-F]{2}){12,}$/;
const PERCENT = /(?:%[0-9a-fA-F]{2}[^%\s]{0,3}){6,}/g;
const ENTITY = /&#(x[0-9a-f]{1,6}|[0-9]{1,7});/gi;
const COMMENT = /<!--([\s\S]{0,8000}?)-->/g;
const MD_COMMENT = /^[ \t]*\[[^\]\n]{0,40}\]:[ \t]*(?:#|<>)[ \t]*[("]([^\n]{0,4000})[)"][ \t]*$/gm;
const HIDDEN_ELEMENT =
  /<(\w{1,10})\b[^>]{0,200}?(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0|opacity\s*:\s*0[;"' ]|\bhidden\b)[^>]{0,200}>([\s\S]{0,8000}?)<\/\1\s*>/gi;

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

/** Decodes encoded spans that hold text; binary (images, hashes, keys) is ignored. */
const decodeSpans = (raw: string): string[] => {
  const out: string[] = [];
  let budget = MAX_DECODED;
  const keep = (s: string) => {
    if (budget > 0 && isText(s)) {
      out.push(s.slice(0, budget));
      budget -= s.length;
    }
  };
  if (raw.length > 23)
    for (const m of raw.matchAll(RUN)) {
      if (budget <= 0) break;
      const run = m[1] as string;
      if (run.length > 16_384) continue;
      keep(Buffer.from(run, run.includes('-') || run.includes('_') ? 'base64url' : 'base64').toString('latin1'));
      // Hex spans, also ones joined to other text by - _ + /.
      for (const part of /[-_+/]/.test(run) ? run.split(/[-_+/]/) : [run.replace(/=+$/, '')])
        if (part.length >= 24 && HEX.test(part)) keep(Buffer.from(part, 'hex').toString('latin1'));
    }
  if (raw.includes('%'))
    for (const m of raw.matchAll(PERCENT)) {
      try {
        keep(decodeURIComponent(m[0]));
      } catch {
        // untrusted: malformed escapes are just text
      }
    }
  return out;
};

/** Markup the user does not see when it is rendered: HTML comments, comment-style links, hidden elements. */
const hiddenMarkup = (raw: string): string[] => {
  const out: string[] = [];
  if (raw.includes('<!--')) for (const m of raw.matchAll(COMMENT)) out.push(m[1] ?? '');
  if (raw.includes(']:')) for (const m of raw.matchAll(MD_COMMENT)) out.push(m[1] ?? '');
  if (raw.includes('<')) for (const m of raw.matchAll(HIDDEN_ELEMENT)) out.push(m[2] ?? '');
  return out;
};

/** NFKC, confusables, lower case, collapsed blanks: the form every rule is written against. */
export const canonical = (s: string): string => {
  let t = s;
  if (NON_ASCII.test(t)) t = t.normalize('NFKC');
  // Words glued by case alone ("USAIgnore", "ignorePrevious") are split, so rules see them as words.
  // Also a capitalised word glued by an underscore ("Channel_Ignore").
  t = t.replace(/([a-z])(?=[A-Z])|([A-Z])(?=[A-Z][a-z])|([a-z0-9]_)(?=[A-Z][a-z])/g, '$1$2$3 ').toLowerCase();
  if (NON_ASCII.test(t)) t = t.replace(CONFUSABLE_RE, (c) => CONFUSABLES[c] ?? c);
  if (t.includes('&#')) t = t.replace(ENTITY, (_, n: string) => safeChar(n));
  // Only runs and odd blanks are rewritten: replacing every single space costs more than all rules.
  return t.replace(/[\t\f\v\u00a0]+|  +/g, ' ');
};

const safeChar = (n: string): string => {
  const code = n[0] === 'x' ? parseInt(n.slice(1), 16) : parseInt(n, 10);
  return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
};

const CAMEL = /[a-z][A-Z]|[A-Z][A-Z][a-z]|[a-z0-9]_(?=[A-Z][a-z])/g;
// Look-alikes of either case, for text that is not lower-cased first: 'А' → 'A' as 'а' → 'a'.
const CONFUSABLES_ANY_CASE: Record<string, string> = { ...CONFUSABLES };
for (const [k, v] of Object.entries(CONFUSABLES)) {
  const K = k.toUpperCase();
  if (K.length === 1 && K.charCodeAt(0) > 0x7f && !(K in CONFUSABLES_ANY_CASE)) CONFUSABLES_ANY_CASE[K] = v.toUpperCase();
}
const CONFUSABLE_ANY_RE = new RegExp(`[${Object.keys(CONFUSABLES_ANY_CASE).join('')}]`, 'g');

const isUpper = (c: number) => c >= 65 && c <= 90;
const isLower = (c: number) => c >= 97 && c <= 122;

/** Glued words split as canonical form splits them (`aB` → `a B`, `ABc` → `A Bc`, `a_Bc` → `a_ Bc`), without a lookahead scan. */
const splitGlued = (s: string): string => {
  const out: string[] = [];
  let last = 0;
  CAMEL.lastIndex = 0;
  for (let m = CAMEL.exec(s); m; m = CAMEL.exec(s)) {
    const i = m.index;
    const at = m[0].endsWith('_') ? i + 2 : i + 1;
    out.push(s.slice(last, at));
    last = at;
    // `aBCd`: a split before B, and another before C (the match consumed B).
    if (m[0].length === 2 && at === i + 1 && isUpper(s.charCodeAt(i + 2)) && isLower(s.charCodeAt(i + 3))) {
      out.push(s.slice(last, i + 2));
      last = i + 2;
    }
  }
  if (last === 0) return s;
  out.push(s.slice(last));
  // One flat string: a rope of thousands of pieces would be flattened by the first scan anyway.
  return out.join(' ');
};

const WIDE_RUN = /[^\x00-\x7f]+/g;
/**
 * NFKC and look-alike folding of the non-ASCII runs only (with the character before each, which a
 * combining mark may join): ASCII is its own NFKC form, and most text is mostly ASCII.
 */
const foldWide = (s: string): string => {
  const out: string[] = [];
  let last = 0;
  WIDE_RUN.lastIndex = 0;
  for (let m = WIDE_RUN.exec(s); m; m = WIDE_RUN.exec(s)) {
    const from = Math.max(last, m.index - 1);
    out.push(s.slice(last, from), s.slice(from, m.index + m[0].length).normalize('NFKC').replace(CONFUSABLE_ANY_RE, (c) => CONFUSABLES_ANY_CASE[c] ?? c));
    last = m.index + m[0].length;
  }
  if (last === 0) return s;
  out.push(s.slice(last));
  return out.join('');
};

/** A normalised item as the engine reads it: the canonical text is built only if a detector asks for it. */
export interface Prepared extends Normalized {
  /** What the rules scan: like `text` but not lower-cased (rules ignore case). */
  readonly scan: string;
}

/**
 * Like `normalize`, with less work per byte: NFKC and look-alike folding only if there is a
 * non-ASCII code point, glued words split in one pass, and no lower-casing (the rules are
 * case-insensitive). Text with numeric entities is made
 * canonical as a whole.
 */
export const prepare = (strings: readonly string[], separator = '\n'): Prepared => {
  const stripped = stripHidden(strings.join(separator));
  const raw = stripped.text;
  const hidden = [...decodeSpans(raw), ...hiddenMarkup(raw)];
  const hiddenText = hidden.length > 0 ? canonical(stripHidden(hidden.join('\n')).text) : '';
  // (Form feeds and vertical tabs are hidden characters, already stripped; NFKC makes no-break spaces spaces.)
  if (raw.includes('&#')) {
    const text = canonical(raw);
    return { text, hidden: hiddenText, hiddenChars: stripped.count, scan: text };
  }
  let base = raw;
  if (NON_ASCII.test(base)) base = foldWide(base);
  let text: string | undefined;
  return {
    get text() {
      return (text ??= canonical(raw));
    },
    hidden: hiddenText,
    hiddenChars: stripped.count,
    scan: collapseBlanks(splitGlued(base)),
  };
};

/**
 * Blank runs as one space, as in canonical form: rules ignore them, but their bounded gaps
 * (`[^.]{0,60}`) count characters, so a doubled space must not push a match out of reach.
 */
const collapseBlanks = (s: string): string => (s.includes('  ') || s.includes('\t') ? s.replace(/[\t ]{2,}|\t/g, ' ') : s);

/**
 * Joins all strings of one item and normalises them, so a signal split across fields (name,
 * description, a parameter's description) is seen as one text.
 * @example
 * normalize(['Ign\u200bore previous', 'instructions']).text // 'ignore previous\ninstructions'
 */
export const normalize = (strings: readonly string[], separator = '\n'): Normalized => {
  const stripped = stripHidden(strings.join(separator));
  const raw = stripped.text;
  const hidden = [...decodeSpans(raw), ...hiddenMarkup(raw)];
  return {
    text: canonical(raw),
    hidden: hidden.length > 0 ? canonical(stripHidden(hidden.join('\n')).text) : '',
    hiddenChars: stripped.count,
  };
};
