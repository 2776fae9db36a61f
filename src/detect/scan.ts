import type { Rule } from './rules.js';
import { restore, type Swaps } from './swaps.js';

/**
 * One pass over a text for all rules. Every rule lists the strings its matches begin with
 * (`Rule.starts`); a single alternation of all of them finds the candidate positions, and a rule
 * runs (sticky, so its cost is bounded by its own pattern, not by the text) only where one of its
 * starts begins. Time is linear in the text: one scan, plus a bounded attempt per keyword.
 */

export interface Scanner {
  readonly rules: readonly Rule[];
  /**
   * Aho–Corasick automaton over all starts: `next[state + char]` is the state after `char` (ASCII,
   * folded to lower case). A state is its number times 128, so a step is one load with no multiply.
   */
  readonly next: Int32Array;
  /** States from this one up are those where a start ends (they are numbered last): one compare per step. */
  readonly finalFrom: number;
  /** Per state (`state >> 7`), the starts that end there (indexes into `keys`), longest first; empty for most states. */
  readonly ends: readonly (readonly number[])[];
  readonly keys: readonly Key[];
  /** Rules that may match at the very start of the text (`^`). */
  readonly atStart: readonly number[];
  /** What `matchAt` returns when no rule matches (most text): one frozen array, made once. */
  readonly none: readonly undefined[];
}

interface Key {
  /** Length in folded characters (a blank run counts as one). */
  readonly length: number;
  /** Must begin a word (its first character is a letter, digit or `_`, and it is not marked `*`). */
  readonly word: boolean;
  /** Rules to try where it begins: its own and those of every shorter start it begins with. */
  readonly rules: readonly number[];
}

const WORD = /^[a-z0-9_]/;
/** Where the argument separator U+2029 goes in the folded alphabet (control characters are stripped before). */
const PARAGRAPH = 1;
/** Folds one UTF-16 code unit: ASCII letters to lower case, tabs to spaces, U+2029 kept, other non-ASCII to 0. */
const fold = (c: number): number =>
  c >= 65 && c <= 90 ? c + 32 : c === 9 ? 32 : c < 128 ? c : c === 0x2029 ? PARAGRAPH : 0;
const isBlank = (c: number): boolean => c === 32 || c === 9;
const isWord = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;

/** Compiles one pass for `rules` (the rules active on a surface): an Aho–Corasick automaton over their starts. */
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
  const keys: Key[] = [];
  // The trie: goto[state] maps a folded character to the next state.
  const goto: Map<number, number>[] = [new Map<number, number>()];
  const ends: number[][] = [[]];
  for (const [s, own] of starts) {
    if (s.length > 64) throw new Error(`rule start longer than 64 characters: ${s}`);
    const set = new Set<number>(own);
    for (const [t, rs] of starts) if (s.startsWith(t)) for (const r of rs) set.add(r);
    keys.push({
      length: s.length,
      word: WORD.test(s) && !inner.has(s),
      rules: [...set].sort((a, b) => a - b),
    });
    let state = 0;
    for (let i = 0; i < s.length; i++) {
      const c = fold(s.charCodeAt(i));
      let n = (goto[state] as Map<number, number>).get(c);
      if (n === undefined) {
        n = goto.length;
        goto.push(new Map());
        ends.push([]);
        (goto[state] as Map<number, number>).set(c, n);
      }
      state = n;
    }
    (ends[state] as number[]).push(keys.length - 1);
  }
  // Failure links, breadth first; a state also reports the starts that end at its failure state.
  const failure = new Int32Array(goto.length);
  const next = new Int32Array(goto.length * 128);
  const queue: number[] = [0];
  for (let qi = 0; qi < queue.length; qi++) {
    const state = queue[qi] as number;
    for (let c = 0; c < 128; c++) {
      const child = (goto[state] as Map<number, number>).get(c);
      if (child !== undefined) {
        next[state * 128 + c] = child;
        if (state !== 0) {
          const f = next[(failure[state] as number) * 128 + c] as number;
          failure[child] = f;
          (ends[child] as number[]).push(...(ends[f] as number[]));
        }
        queue.push(child);
      } else
        next[state * 128 + c] =
          state === 0 ? 0 : (next[(failure[state] as number) * 128 + c] as number);
    }
  }
  // Renumbered: states where no start ends first (the root stays 0), then the others; each times 128.
  const order = [...ends.keys()].sort(
    (a, b) => Number(ends[a]?.length !== 0) - Number(ends[b]?.length !== 0) || a - b,
  );
  const renamed = new Int32Array(goto.length);
  order.forEach((old, i) => (renamed[old] = i << 7));
  const shifted = new Int32Array(next.length);
  for (let i = 0; i < order.length; i++)
    for (let c = 0; c < 128; c++)
      shifted[(i << 7) | c] = renamed[next[((order[i] as number) << 7) | c] as number] as number;
  const finalFrom = order.findIndex((old) => (ends[old] as number[]).length > 0);
  return {
    rules,
    next: shifted,
    finalFrom: (finalFrom < 0 ? order.length : finalFrom) << 7,
    ends: order.map((old) => ends[old] as number[]),
    keys,
    atStart,
    none: Object.freeze(new Array<undefined>(rules.length).fill(undefined)),
  };
};

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
