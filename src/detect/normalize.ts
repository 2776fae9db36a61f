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
const BASE64 = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{24,}={0,2}/g;
const HEX = /(?<![0-9a-zA-Z])(?:[0-9a-fA-F]{2}){12,}(?![0-9a-zA-Z])/g;
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
    for (const m of raw.matchAll(BASE64)) {
      if (budget <= 0) break;
      if (m[0].length > 16_384) continue;
      keep(Buffer.from(m[0], m[0].includes('-') || m[0].includes('_') ? 'base64url' : 'base64').toString('latin1'));
    }
  for (const m of raw.matchAll(HEX)) {
    if (budget <= 0) break;
    keep(Buffer.from(m[0], 'hex').toString('latin1'));
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
  t = t.replace(/([a-z])(?=[A-Z])|([A-Z])(?=[A-Z][a-z])/g, '$1$2 ').toLowerCase();
  if (NON_ASCII.test(t)) t = t.replace(CONFUSABLE_RE, (c) => CONFUSABLES[c] ?? c);
  if (t.includes('&#')) t = t.replace(ENTITY, (_, n: string) => safeChar(n));
  // Only runs and odd blanks are rewritten: replacing every single space costs more than all rules.
  return t.replace(/[\t\f\v\u00a0]+|  +/g, ' ');
};

const safeChar = (n: string): string => {
  const code = n[0] === 'x' ? parseInt(n.slice(1), 16) : parseInt(n, 10);
  return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
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
  const hidden = [...decodeSpans(raw), ...hiddenMarkup(raw)];
  return {
    text: canonical(raw),
    hidden: hidden.length > 0 ? canonical(stripHidden(hidden.join('\n')).text) : '',
    hiddenChars: stripped.count,
  };
};
