/**
 * Hidden text: code points a human reviewer does not see but a model reads. ANSI escapes can
 * rewrite a terminal line; zero-width, bidi and tag characters smuggle or reorder instructions
 * (Unicode TR36 §3, "ASCII smuggling" with U+E0000 tags).
 */
export type HiddenKind =
  'ansi' | 'control' | 'zero-width' | 'bidi' | 'tag' | 'variation-selector' | 'filler';

// One alternation, so clean text costs a single scan. ZWNJ/ZWJ (U+200C/D) are handled apart:
// they are legitimate inside emoji sequences and Indic/Arabic words.
const ANSI = String.raw`\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?`;
const HIDDEN = new RegExp(
  // eslint-disable-next-line no-misleading-character-class -- matches lone combining marks and surrogate halves on purpose
  `${ANSI}|[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]|[\\u00ad\\u034f\\u061c\\u115f\\u1160\\u17b4\\u17b5\\u180e\\u200b\\u200e\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\u3164\\ufeff\\uffa0\\ufff9-\\ufffb]|\\udb40[\\udc00-\\udc7f\\udd00-\\uddef]`,
  'g',
);
const JOINER = /[\u200c\u200d]/g;
const JOINER_CONTEXT =
  /[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Script=Arabic}\p{Script=Devanagari}\p{Script=Bengali}\p{Script=Tamil}\p{Script=Telugu}\p{Script=Malayalam}\p{Script=Kannada}\p{Script=Sinhala}\p{Script=Gujarati}\p{Script=Gurmukhi}\p{Script=Oriya}\p{Script=Syriac}\ufe0f]/u;
const QUICK =
  // eslint-disable-next-line no-misleading-character-class -- matches lone combining marks and surrogate halves on purpose
  /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb\udb40]/;

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
  if (c >= 0xe0100) return 'variation-selector';
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
// eslint-disable-next-line no-misleading-character-class -- matches lone combining marks and surrogate halves on purpose
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

/** True when `text` may hold anything `stripHidden` removes (a stray joiner included): false means it is clean. */
export const mayHide = (text: string): boolean =>
  mayHideText(text) || text.includes('\u200c') || text.includes('\u200d');

/** Strips hidden code points from `text` and says what was there. */
export const stripHidden = (
  text: string,
): { text: string; count: number; kinds: Set<HiddenKind> } => {
  const kinds = new Set<HiddenKind>();
  let count = 0;
  let out = text;
  if (mayHideText(text))
    out = out.replace(HIDDEN, (m) => {
      kinds.add(kindOf(m));
      count++;
      return '';
    });
  if (out.includes('\u200c') || out.includes('\u200d'))
    out = out.replace(JOINER, (m, offset: number, whole: string) => {
      if (!isStrayJoiner(whole, offset)) return m;
      kinds.add('zero-width');
      count++;
      return '';
    });
  return { text: out, count, kinds };
};
