/**
 * Markup the user does not see when it is rendered: HTML comments, comment-style markdown links and
 * hidden HTML elements. Each is found in time linear in the text: no pattern looks for an end that
 * is not there from every place a start is (repeated unclosed `<!--` or `<a hidden>` once cost
 * seconds per MiB), and no two extracted spans overlap.
 */

const MD_COMMENT = /^[ \t]*\[[^\]\n]{0,40}\]:[ \t]*(?:#|<>)[ \t]*[("]([^\n]{0,4000})[)"][ \t]*$/gm;
/** An opening tag: `[^<>]` ends every attempt at the next `<`, so attempts never overlap. */
const OPEN_TAG = /<([a-z][\w-]{0,15})\b([^<>]{0,400})>/gi;
const CLOSE_TAG = /<\/([a-z][\w-]{0,15})\s*>/gi;
const HIDING =
  /display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d])|opacity\s*:\s*0(?![.\d])|\bhidden\b/i;

/** HTML comments; an unclosed one hides the rest of the text, as a browser renders it. */
const comments = (raw: string, out: string[]): void => {
  for (let at = raw.indexOf('<!--'); at >= 0;) {
    const end = raw.indexOf('-->', at + 4);
    if (end < 0) {
      out.push(raw.slice(at + 4));
      return;
    }
    out.push(raw.slice(at + 4, end));
    at = raw.indexOf('<!--', end + 3);
  }
};

/** The first of the sorted `positions` above `from` (binary search), or -1. */
const firstAfter = (positions: readonly number[], from: number): number => {
  let lo = 0;
  let hi = positions.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((positions[mid] as number) <= from) lo = mid + 1;
    else hi = mid;
  }
  return lo < positions.length ? (positions[lo] as number) : -1;
};

const isHiding = (attributes: string): boolean => HIDING.test(attributes);

/**
 * Elements hidden by an attribute or a style: the text up to the first closing tag of the same name
 * (or the end of the text, as a browser does with an unclosed element). Closing tags are listed in
 * one pass; an opener inside a span already taken is part of it.
 */
const hiddenElements = (raw: string, out: string[]): void => {
  const closes = new Map<string, number[]>();
  for (const m of raw.matchAll(CLOSE_TAG)) {
    const name = (m[1] as string).toLowerCase();
    const list = closes.get(name);
    if (list) list.push(m.index);
    else closes.set(name, [m.index]);
  }
  let taken = 0;
  for (const m of raw.matchAll(OPEN_TAG)) {
    if (m.index < taken || !isHiding(m[2] as string)) continue;
    const from = m.index + m[0].length;
    const close = firstAfter(closes.get((m[1] as string).toLowerCase()) ?? [], from - 1);
    const to = close < 0 ? raw.length : close;
    out.push(raw.slice(from, to));
    taken = to;
  }
};

/** Every piece of markup in `raw` that a rendered view hides. */
export const hiddenMarkup = (raw: string): string[] => {
  const out: string[] = [];
  if (raw.includes('<!--')) comments(raw, out);
  if (raw.includes(']:')) for (const m of raw.matchAll(MD_COMMENT)) out.push(m[1] ?? '');
  if (raw.includes('<')) hiddenElements(raw, out);
  return out;
};
