import type { Rule } from './rules.js';

/**
 * One pass over a text for all rules. Every rule lists the strings its matches begin with
 * (`Rule.starts`); a single alternation of all of them finds the candidate positions, and a rule
 * runs (sticky, so its cost is bounded by its own pattern, not by the text) only where one of its
 * starts begins. Time is linear in the text: one scan, plus a bounded attempt per keyword.
 */

export interface Scanner {
  readonly rules: readonly Rule[];
  /** Finds every start (word-like ones at a word boundary). */
  readonly anchor: RegExp;
  /** A matched start (blank runs as one space) → indexes of the rules to try there. */
  readonly byStart: ReadonlyMap<string, readonly number[]>;
  /** Rules that may match at the very start of the text (`^`). */
  readonly atStart: readonly number[];
}

const WORD = /^[a-z0-9_]/;

const literal = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/ /g, '[ \\t]+');

/** Compiles one anchor pass for `rules` (the rules active on a surface). */
export const compileScanner = (rules: readonly Rule[]): Scanner => {
  const starts = new Map<string, Set<number>>();
  /** Starts marked `*` may begin inside a word (`USATODO:`); others that begin with a letter must begin a word. */
  const inner = new Set<string>();
  const atStart: number[] = [];
  rules.forEach((r, i) => {
    for (const raw of r.starts) {
      if (raw === '^') {
        atStart.push(i);
        continue;
      }
      const s = raw.startsWith('*') ? raw.slice(1) : raw;
      if (s !== raw) inner.add(s);
      starts.set(s, (starts.get(s) ?? new Set()).add(i));
    }
  });
  // A start also runs the rules of every shorter start it begins with: the alternation reports the longest.
  const byStart = new Map<string, number[]>();
  for (const s of starts.keys()) {
    const set = new Set<number>();
    for (const [t, rs] of starts) if (s.startsWith(t)) for (const r of rs) set.add(r);
    byStart.set(s, [...set].sort((a, b) => a - b));
  }
  const sorted = [...starts.keys()].sort((a, b) => b.length - a.length);
  const words = sorted.filter((s) => WORD.test(s) && !inner.has(s)).map(literal);
  const others = sorted.filter((s) => !WORD.test(s) || inner.has(s)).map(literal);
  const alts = [...(words.length ? [`\\b(?:${words.join('|')})`] : []), ...(others.length ? [`(?:${others.join('|')})`] : [])];
  const source = alts.length ? alts.join('|') : '(?!)';
  return {
    rules,
    anchor: new RegExp(source, 'gi'),
    byStart,
    atStart,
  };
};

/**
 * The first match of every rule of `scanner` in `text` (undefined where none), lower-cased, as
 * the same rule would find it scanning from the left. `text` is what `prepare` makes: hidden code
 * points removed, NFKC, look-alikes folded, glued words split; rules ignore case and blank runs.
 */
export const scan = (scanner: Scanner, text: string): (string | undefined)[] => {
  const { rules, anchor, byStart } = scanner;
  const found: (string | undefined)[] = new Array<string | undefined>(rules.length).fill(undefined);
  let remaining = rules.length;
  const tryAt = (p: number, candidates: readonly number[]) => {
    for (const r of candidates) {
      if (found[r] !== undefined) continue;
      const re = (rules[r] as Rule).re;
      re.lastIndex = p;
      const m = re.exec(text);
      if (m) {
        // The lookbehind context (first capture group), then the match: what a reader needs to see.
        let pre = '';
        for (let g = 1; g < m.length && !pre; g++) pre = m[g] ?? '';
        found[r] = (pre + m[0]).toLowerCase();
        remaining--;
      }
    }
  };
  if (scanner.atStart.length) tryAt(0, scanner.atStart);
  anchor.lastIndex = 0;
  for (let m = anchor.exec(text); m && remaining > 0; m = anchor.exec(text)) {
    const p = m.index;
    anchor.lastIndex = p + 1;
    const key = m[0].toLowerCase();
    const candidates = byStart.get(key.includes('  ') || key.includes('\t') ? key.replace(/[ \t]+/g, ' ') : key);
    if (candidates) tryAt(p, candidates);
  }
  return found;
};
