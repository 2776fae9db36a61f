import { ContentError } from '../errors.js';
import { MAX_WALK_DEPTH } from '../core/map-strings.js';
import { stripHidden } from '../sanitize/hidden.js';
import type { SecretScanner } from './scan.js';

const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g;
// Shorter runs cannot hold a credential of the floor's length (8 bytes) in base64 or hex. A run is
// matched from its first character only (the lookbehind), so prose is not rescanned from every letter
// of every word: this runs on every string the gateway sends upstream.
const BASE64_RUN = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{12,}/g;
const HEX_RUN = /(?<![0-9A-Fa-f])[0-9A-Fa-f]{16,}/g;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** `%XX` sequences decoded (a credential sent percent-encoded, whole or in part, in any case). */
const percentDecoded = (text: string): string =>
  text.replace(PERCENT_RUN, (run) => Buffer.from(run.replaceAll('%', ''), 'hex').toString('utf8'));

/**
 * The texts one outgoing string may hide a credential in: as sent; with hidden characters removed
 * and NFKC applied (a token split by U+200B, or in full-width letters); percent-decoded; and every
 * base64 and hex run decoded at each alignment it may start at, so a prefix before the encoded
 * credential (or before its encoding inside a longer run) does not hide it.
 */
const variantsOf = (text: string): string[] => {
  // Printable ASCII has nothing to strip or fold: the common case skips both.
  const normal = PRINTABLE_ASCII.test(text) ? text : stripHidden(text).text.normalize('NFKC');
  const decoded = normal.includes('%') ? percentDecoded(normal) : normal;
  const out = [text];
  if (normal !== text) out.push(normal);
  if (decoded !== normal) out.push(decoded);
  if (decoded.length < 12) return out;
  // exec loops, not matchAll: matchAll copies its regular expression on every call, a cost on every string sent.
  BASE64_RUN.lastIndex = 0;
  for (let m = BASE64_RUN.exec(decoded); m; m = BASE64_RUN.exec(decoded))
    for (let i = 0; i < 4; i++) out.push(Buffer.from(m[0].slice(i), 'base64').toString('latin1'));
  HEX_RUN.lastIndex = 0;
  for (let m = HEX_RUN.exec(decoded); m; m = HEX_RUN.exec(decoded))
    for (let i = 0; i < 2; i++) out.push(Buffer.from(m[0].slice(i), 'hex').toString('latin1'));
  return out;
};

/** Every string and property name of an outgoing value, binary fields included: nothing leaves unread. */
const everyString = (value: unknown, visit: (text: string) => void, depth = 0): void => {
  if (typeof value === 'string') return visit(value);
  if (typeof value !== 'object' || value === null) return;
  if (depth > MAX_WALK_DEPTH)
    throw new ContentError(
      'CONTENT_TOO_COMPLEX',
      `value nested deeper than ${MAX_WALK_DEPTH}; refused unread`,
    );
  if (Array.isArray(value)) for (const v of value) everyString(v, visit, depth + 1);
  else
    for (const [k, v] of Object.entries(value)) {
      visit(k);
      everyString(v, visit, depth + 1);
    }
};

/**
 * The credential rules that match anywhere in an outgoing value (request params, a client's answer
 * to a server): every string and key, in every form `variantsOf` gives.
 * @example
 * leaksIn(createSecretScanner([]), { uri: 'x://h/ghp_…' }) // ['github-token']
 */
export const leaksIn = (scanner: SecretScanner, value: unknown): string[] => {
  const rules = new Set<string>();
  everyString(value, (text) => {
    for (const variant of variantsOf(text))
      for (const hit of scanner.scan(variant)) rules.add(hit.rule);
  });
  return [...rules];
};
