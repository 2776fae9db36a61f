import { IGNORABLE_BMP, IGNORABLE_LEADS } from './ignorable-data.js';

/**
 * Hidden text: code points a human reviewer does not see but a model reads. ANSI escapes can
 * rewrite a terminal line; zero-width, bidi and tag characters smuggle or reorder instructions
 * (Unicode TR36 §3, "ASCII smuggling" with U+E0000 tags).
 */
export type HiddenKind =
  'ansi' | 'control' | 'zero-width' | 'bidi' | 'tag' | 'variation-selector' | 'filler';

// One alternation, so clean text costs a single scan. Every default-ignorable code point (Unicode
// `Default_Ignorable_Code_Point`: zero-width, bidi, variation selectors, tags, fillers, unassigned
// ones) is a candidate; joiners and variation selectors are kept where their script or emoji uses them.
const ANSI = String.raw`\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?`;
const CANDIDATE = String.raw`\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\p{Default_Ignorable_Code_Point}\u180e\ufff9-\ufffb`;
const HIDDEN = new RegExp(`${ANSI}|[${CANDIDATE}]`, 'gu');
const JOINER_CONTEXT =
  /[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Script=Arabic}\p{Script=Devanagari}\p{Script=Bengali}\p{Script=Tamil}\p{Script=Telugu}\p{Script=Malayalam}\p{Script=Kannada}\p{Script=Sinhala}\p{Script=Gujarati}\p{Script=Gurmukhi}\p{Script=Oriya}\p{Script=Syriac}\ufe0f]/u;
/**
 * The pre-check, without the `u` flag (a property class with it costs about three times as much on
 * text that is not Latin-1): the same code points, from the generated ranges of the property, and for
 * those above U+FFFF any code point sharing their high surrogate (the exact test follows).
 */
const QUICK = new RegExp(
  `[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f${IGNORABLE_BMP}\\u180e\\ufff9-\\ufffb${IGNORABLE_LEADS}]`,
);
const SELECTOR = /[\ufe00-\ufe0f\u180b-\u180d\u180f\u{e0100}-\u{e01ef}]/u;
/**
 * What a variation selector may follow (Unicode StandardizedVariants, emoji-variation-sequences and
 * the Ideographic Variation Database): emoji and symbols, ideographs, Mongolian, Myanmar, Phags-pa.
 * A selector after a letter of another script, or after another selector (data smuggled as a run
 * of selectors after one emoji), varies nothing a reader sees.
 */
const SELECTOR_BASE =
  /^(?:[\p{Extended_Pictographic}\p{S}\p{Script=Han}\p{Script=Mongolian}\p{Script=Myanmar}\p{Script=Phags_Pa}\u2000-\u2bff]|[0-9#*](?=\ufe0f\u20e3))/u;

const kindOf = (match: string): HiddenKind => {
  const c = match.codePointAt(0) ?? 0;
  if (c === 0x1b) return 'ansi';
  if (c < 0xa0) return 'control';
  if (
    (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2066 && c <= 0x2069) ||
    c === 0x061c ||
    c === 0x200e ||
    c === 0x200f
  )
    return 'bidi';
  if (c >= 0xe0000 && c <= 0xe007f) return 'tag';
  if (SELECTOR.test(match)) return 'variation-selector';
  if (c === 0x115f || c === 0x1160 || c === 0x3164 || c === 0xffa0 || c === 0x17b4 || c === 0x17b5)
    return 'filler';
  return 'zero-width';
};

/** A joiner is hidden unless a neighbour is an emoji or a script that uses it. */
const isStrayJoiner = (text: string, index: number): boolean =>
  !JOINER_CONTEXT.test(text.slice(Math.max(0, index - 2), index)) &&
  !JOINER_CONTEXT.test(text.slice(index + 1, index + 3));

const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/;
const WIDE = /[^\x00-\x9f]/g;
const QUICK_ONE = new RegExp(`^${QUICK.source}`);
/** Beyond this many code points above U+009F, one scan with QUICK costs less than a look at each. */
const WIDE_LOOKS = 256;

/**
 * True when `text` may hold hidden code points (cheap pre-check). A large character class is slow
 * on text that is not Latin-1, so text with few wide code points has each of them looked at instead.
 */
export const mayHideText = (text: string): boolean => {
  if (CONTROL.test(text)) return true;
  WIDE.lastIndex = 0;
  for (let n = 0, m = WIDE.exec(text); m; m = WIDE.exec(text)) {
    if (QUICK_ONE.test(m[0])) return true;
    if (++n > WIDE_LOOKS) return QUICK.test(text.slice(m.index));
  }
  return false;
};

/** A variation selector is hidden unless it follows a character it can vary (see `SELECTOR_BASE`). */
const isStraySelector = (text: string, index: number): boolean => {
  let from = index - 1;
  if (from > 0 && (text.charCodeAt(from) & 0xfc00) === 0xdc00) from--;
  return from < 0 || !SELECTOR_BASE.test(text.slice(from, index + 2));
};

/** Strips hidden code points from `text` and says what was there. */
export const stripHidden = (
  text: string,
): { text: string; count: number; kinds: Set<HiddenKind> } => {
  const kinds = new Set<HiddenKind>();
  let count = 0;
  const out = !mayHideText(text)
    ? text
    : text.replace(HIDDEN, (m: string, offset: number, whole: string) => {
        const c = m.charCodeAt(0);
        if (
          c === 0x200c || c === 0x200d
            ? !isStrayJoiner(whole, offset)
            : SELECTOR.test(m) && !isStraySelector(whole, offset)
        )
          return m;
        kinds.add(kindOf(m));
        count++;
        return '';
      });
  return { text: out, count, kinds };
};
