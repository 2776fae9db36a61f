import type { Rule } from './rules.js';

/** The automaton of `scan.ts`: one Aho–Corasick pass over the starts of every rule of a surface. */
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

export interface Key {
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
/** The starts of `rules`, each with the rules it begins; those marked `*` may begin inside a word; `^` = at the start. */
const startsOf = (rules: readonly Rule[]) => {
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
  return { starts, inner, atStart };
};

/** The trie of the starts: `goto[state]` maps a folded character to the next state; `ends[state]` the keys ending there. */
const trieOf = (starts: Map<string, Set<number>>, inner: Set<string>) => {
  const keys: Key[] = [];
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
  return { keys, goto, ends };
};

/** The full transition table (failure links, breadth first); a state also reports the starts that end at its failure state. */
const transitionsOf = (goto: readonly Map<number, number>[], ends: number[][]): Int32Array => {
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
  return next;
};

/** Compiles one pass for `rules` (the rules active on a surface): an Aho–Corasick automaton over their starts. */
export const compileScanner = (rules: readonly Rule[]): Scanner => {
  const { starts, inner, atStart } = startsOf(rules);
  const { keys, goto, ends } = trieOf(starts, inner);
  const next = transitionsOf(goto, ends);
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
