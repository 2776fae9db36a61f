import type { Key, Scanner } from './automaton.js';
import type { Rule } from './rules.js';
import { restore, type Swaps } from './swaps.js';

/**
 * One pass over a text for all rules. Every rule lists the strings its matches begin with
 * (`Rule.starts`); a single alternation of all of them finds the candidate positions, and a rule
 * runs (sticky, so its cost is bounded by its own pattern, not by the text) only where one of its
 * starts begins. Time is linear in the text: one scan, plus a bounded attempt per keyword.
 */

/** Where the argument separator U+2029 goes in the folded alphabet (control characters are stripped before). */
const PARAGRAPH = 1;
const isBlank = (c: number): boolean => c === 32 || c === 9;
const isWord = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;

/**
 * The first match of every rule of `scanner` in `text` (undefined where none), lower-cased, as
 * the same rule would find it scanning from the left. `text` is what `prepare` makes: hidden code
 * points removed, NFKC, look-alikes folded, glued words split; rules ignore case and blank runs.
 * One pass of the automaton finds where starts begin; each rule is tried, sticky, only there.
 */
export const scan = (scanner: Scanner, text: string): readonly (string | undefined)[] =>
  matchAt(scanner, text, hitsOf(scanner, text));

/**
 * Numbers as they are found (hits, positions, code units), in a typed array that doubles when full:
 * an array of the heap grown one push at a time costs, once it is large, a fresh mapping at every step.
 */
const NONE_FOUND = new Float64Array(0);

export class NumberList {
  values = new Float64Array(256);
  length = 0;
  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }
  /** A copy of the numbers found (one shared empty array when there are none: most reads find none). */
  toArray(): Float64Array {
    return this.length === 0 ? NONE_FOUND : this.values.slice(0, this.length);
  }
  /** Empties the list, and lets go of an array grown past 512 KiB (a text full of starts or of placeholders). */
  reset(): void {
    this.length = 0;
    if (this.values.length > 1 << 16) this.values = new Float64Array(256);
  }
}

/** Where starts of `scanner` begin in `text`: hits as start * 4096 + key index, in the order their ends are read. */
export const hitsOf = (scanner: Scanner, text: string): Float64Array => {
  const { next, ends, keys, finalFrom } = scanner;
  let state = 0;
  let blank = false;
  const hits = new NumberList();
  for (let i = 0, length = text.length; i < length; i++) {
    // Folded: ASCII letters to lower case, tabs to spaces, U+2029 kept, other non-ASCII to 0; a blank run is one blank.
    let c = text.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    else if (c >= 128) c = c === 0x2029 ? PARAGRAPH : 0;
    else if (c === 9) c = 32;
    if (c === 32) {
      if (blank) continue;
      blank = true;
    } else blank = false;
    state = next[state | c] as number;
    if (state < finalFrom) continue;
    const e = ends[state >> 7] as readonly number[];
    for (let k = 0; k < e.length; k++) {
      const key = keys[e[k] as number] as Key;
      // Back over the key's folded characters (only the first blank of a run counts) to where it begins.
      let start = i;
      for (let left = key.length - 1; left > 0 && start > 0;) {
        start--;
        if (!(isBlank(text.charCodeAt(start)) && start > 0 && isBlank(text.charCodeAt(start - 1))))
          left--;
      }
      if (key.word && start > 0 && isWord(text.charCodeAt(start - 1))) continue;
      hits.push(start * 4096 + (e[k] as number));
    }
  }
  return hits.toArray();
};

/**
 * Feeds one code unit of a text without blank runs (what `prepare` writes) to the automaton of
 * `scanner` in `state`; `at` is its index. Where starts end, their hits are added to `hits` (the
 * word test reads the character before a start from `units`, as written). Returns the next state.
 */
export const feed = (
  scanner: Scanner,
  state: number,
  c: number,
  at: number,
  units: Uint8Array,
  hits: NumberList,
): number => {
  const f = c >= 65 && c <= 90 ? c + 32 : c < 128 ? c : c === 0x2029 ? PARAGRAPH : 0;
  const s = scanner.next[state | f] as number;
  if (s >= scanner.finalFrom) ended(scanner, s, at, units, hits);
  return s;
};

/** Adds a hit for every start that ends at `at` in `state` (a text without blank runs: one unit per folded character). */
export const ended = (
  scanner: Scanner,
  state: number,
  at: number,
  units: Uint8Array,
  hits: NumberList,
): void => {
  const e = scanner.ends[state >> 7] as readonly number[];
  for (let k = 0; k < e.length; k++) {
    const key = scanner.keys[e[k] as number] as Key;
    const start = at - key.length + 1;
    if (key.word && start > 0 && isWord(units[start - 1] as number)) continue;
    hits.push(start * 4096 + (e[k] as number));
  }
};

/**
 * Sorts `hits` in place. They come nearly sorted (in the order their ends are read, and a start is
 * at most 64 folded characters long), so an insertion sort does it in a few moves per hit, far
 * faster here than the typed array's own sort; past a budget of moves (a text made to scatter them)
 * that sort finishes the work, so the cost stays O(n log n).
 */
export const sortHits = (hits: Float64Array): void => {
  const budget = 8 * hits.length + 64;
  let moves = 0;
  for (let i = 1; i < hits.length; i++) {
    const v = hits[i] as number;
    let j = i - 1;
    while (j >= 0 && (hits[j] as number) > v) {
      hits[j + 1] = hits[j] as number;
      j--;
    }
    hits[j + 1] = v;
    moves += i - 1 - j;
    if (moves > budget) {
      hits.sort();
      return;
    }
  }
};

/**
 * The first match of every rule, tried (sticky) where `hits` say one of its starts begins (`hits` is
 * sorted in place). With `swaps`, `text` holds placeholders (see `survey`): a match is shown with the
 * characters they stand for.
 */
export const matchAt = (
  scanner: Scanner,
  text: string,
  hits: Float64Array,
  swaps?: Swaps,
): readonly (string | undefined)[] => {
  const { rules, keys } = scanner;
  let found: (string | undefined)[] | undefined;
  let remaining = rules.length;
  const tryAt = (p: number, candidates: readonly number[]) => {
    for (const r of candidates) {
      if (found?.[r] !== undefined) continue;
      const re = (rules[r] as Rule).re;
      re.lastIndex = p;
      const m = re.exec(text);
      if (m) {
        // The lookbehind context (first capture group), then the match: what a reader needs to see.
        let pre = '';
        for (let g = 1; g < m.length && !pre; g++) pre = m[g] ?? '';
        // (The context is a lookbehind: it ends where the match begins.)
        (found ??= new Array<string | undefined>(rules.length).fill(undefined))[r] = (
          swaps ? restore(text, m.index - pre.length, m.index + m[0].length, swaps) : pre + m[0]
        ).toLowerCase();
        remaining--;
      }
    }
  };
  if (scanner.atStart.length) tryAt(0, scanner.atStart);
  sortHits(hits);
  // Starts found at one position are prefixes of one another: the longest carries all their rules.
  for (let h = 0; h < hits.length && remaining > 0;) {
    const start = Math.floor((hits[h] as number) / 4096);
    let best = keys[(hits[h] as number) % 4096] as Key;
    for (h++; h < hits.length && Math.floor((hits[h] as number) / 4096) === start; h++) {
      const k = keys[(hits[h] as number) % 4096] as Key;
      if (k.length > best.length) best = k;
    }
    tryAt(start, best.rules);
  }
  return found ?? scanner.none;
};
