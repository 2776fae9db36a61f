import { compileScanner, type Scanner } from './automaton.js';
import { hitsOf, sortHits } from './scan.js';
import type { Rule } from './rules.js';
import type { Finding, Item } from './types.js';
import { PHRASES } from './intent-phrases.js';
import { FEATURES } from './intent-features.js';

/**
 * Intent, not phrases: an obligation or pretext addressed to the agent (must, required, mandatory,
 * compliance, deprecated, alert, update, before/after using) next to an action outside what the item
 * is for (calling another tool, contacting a URL, a shell command or dotfile, forcing an argument,
 * telling the user something, hiding something from them). Each obligation opens a window of text
 * around it; the actions found in the windows, the rules' evidence and how the demanded action fits
 * the tool's own name are the features of a logistic model whose weights are fitted offline
 * (`bench/detect-fit.ts`, held out by source) and kept in `intent-weights.ts`.
 *
 * Linear: one search for obligations over the text, then a bounded read of each window, and windows
 * that overlap are merged, so no character is read by more than a few patterns.
 */

type Action = Exclude<keyof typeof PHRASES, 'obligation' | 'callVerb'> | 'callTool';
const ACTION_NAMES: readonly Action[] = [
  'callTool',
  'url',
  'contact',
  'shell',
  'dotfile',
  'secret',
  'context',
  'forceArg',
  'tellUser',
  'hide',
  'refuse',
  'addressed',
  'pretext',
  'sequence',
];
type Class = keyof typeof PHRASES;
const CLASSES = Object.keys(PHRASES) as Class[];

/** One pseudo-rule per class, whose starts are its phrases: one automaton pass finds them all. */
/**
 * One pseudo-rule per class, whose starts are its phrases (weight 0, never a finding): the engine
 * compiles them into each surface's automaton, so the read that writes the scan text finds them too.
 */
export const INTENT_RULES: readonly Rule[] = CLASSES.map((c) => ({
  id: `intent:${c}`,
  category: 'intent',
  weight: 0,
  re: /(?:)/y,
  starts: PHRASES[c],
}));
const SCANNER: Scanner = compileScanner(INTENT_RULES);
const bit = (c: Class): number => 1 << CLASSES.indexOf(c);
const OBLIGATION = bit('obligation');
const CALL_VERB = bit('callVerb');
/** Per scanner, the classes of each key (a key carries the classes of the phrases it begins with). */
const keyClasses = new WeakMap<Scanner, number[]>();
const classesOf = (scanner: Scanner): number[] => {
  let out = keyClasses.get(scanner);
  if (!out) {
    const bits = scanner.rules.map((r) =>
      r.category === 'intent' ? 1 << CLASSES.indexOf(r.id.slice(7) as Class) : 0,
    );
    out = scanner.keys.map((k) => k.rules.reduce((c, r) => c | (bits[r] as number), 0));
    keyClasses.set(scanner, out);
  }
  return out;
};
const isWord = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
/** After a call verb: the name of the tool called (`send_email`, `the backup tool`). */
const CALLED =
  /[ \t]+(?:the[ \t]+|a[ \t]+)?(?:new[ \t]+|secure[ \t]+|updated[ \t]+)?(?!(?:this|that|these|it|its|same|which|each|every)\b)[`'"]?(?:([a-z][a-z0-9]*(?:[_.-][a-z0-9]+)+)|[\w-]{2,40}[`'"]?[ \t]+(?:tool|function)\b)/iy;
const WINDOW = 240;
const WINDOW_MAX = 480;
/** Actions that are demands (not who is addressed, nor the sequence or pretext around them). */
const DEMANDS = ACTION_NAMES.reduce(
  (m, a, b) => (a === 'addressed' || a === 'sequence' || a === 'pretext' ? m : m | (1 << b)),
  0,
);
const bitCount = (m: number): number => {
  let n = 0;
  for (let x = m; x !== 0; x &= x - 1) n++;
  return n;
};
/** Actions a negation takes back: "do not include API keys", "never run shell commands". */
const NEGATABLE = [
  'callTool',
  'url',
  'contact',
  'shell',
  'dotfile',
  'secret',
  'context',
  'tellUser',
].reduce((m, a) => m | (1 << ACTION_NAMES.indexOf(a as Action)), 0);
const NEGATION =
  /\b(?:not|never|no|don't|dont|cannot|can't|without|avoid)[ \t]+(?:[\w-]+[ \t]+){0,2}(?:[\w-]+(?:[ \t]+[\w-]+)?(?:[ \t]*,[ \t]*|[ \t]+(?:or|and|nor)[ \t]+))*(?:[\w-]+[ \t]+)?$/i;
/** Whether the phrase at `at` follows a negation in the same clause (a bounded look back). */
const negated = (text: string, at: number): boolean =>
  NEGATION.test(text.slice(Math.max(0, at - 48), at));

/** What a tool named with these words is plainly for, per kind of action. */
const PURPOSE: Record<'callTool' | 'url' | 'shell' | 'dotfile', RegExp> = {
  callTool: /\b(?:workflow|orchestrat\w*|agent|router|dispatch|proxy|chain|pipeline)\b/,
  url: /\b(?:http|https|fetch|url|web|browse\w*|request|api|download|scrape|crawl|webhook|search|link|site|page|post|send|upload|notify|slack|email|mail|github|gitlab|jira)\b/,
  shell:
    /\b(?:shell|exec\w*|command|cmd|run|terminal|bash|process|script|install|build|deploy|docker|git|npm)\b/,
  dotfile:
    /\b(?:file|files|fs|read|write|ssh|key|keys|path|dir|directory|config|env|dotfiles?|secret|vault|credential\w*)\b/,
};

export { FEATURES } from './intent-features.js';
export type Feature = (typeof FEATURES)[number];

/** Phrases found: where each begins and ends (in the text) and its classes, as parallel lists. */
interface Hits {
  readonly at: number[];
  readonly end: number[];
  readonly classes: number[];
}

/** The tool a call verb ending at `end` names, lower case ('' for `the … tool`); undefined if none. */
const calledAt = (text: string, end: number): string | undefined => {
  CALLED.lastIndex = end;
  const c = CALLED.exec(text);
  return c ? (c[1] ?? '').toLowerCase() : undefined;
};

/**
 * Every phrase of `text` that ends a word (`use` is not read in `user`), in order, and the windows
 * around its obligations, merged where they overlap (as [from, to) pairs).
 */
const read = (
  text: string,
  given?: { readonly scanner: Scanner; readonly hits: Float64Array },
): { hits: Hits; windows: number[] } => {
  const scanner = given?.scanner ?? SCANNER;
  const found = given?.hits ?? hitsOf(SCANNER, text);
  sortHits(found);
  const keyClasses = classesOf(scanner);
  const hits: Hits = { at: [], end: [], classes: [] };
  const windows: number[] = [];
  for (let h = 0; h < found.length; h++) {
    const at = Math.floor((found[h] as number) / 4096);
    const k = (found[h] as number) % 4096;
    const classes = keyClasses[k] as number;
    if (classes === 0) continue;
    const end = at + (scanner.keys[k]?.length ?? 0);
    if (isWord(text.charCodeAt(end - 1)) && isWord(text.charCodeAt(end))) continue;
    hits.at.push(at);
    hits.end.push(end);
    hits.classes.push(classes);
    if (classes & OBLIGATION) {
      const from = Math.max(0, at - WINDOW / 2);
      const to = Math.min(text.length, at + WINDOW);
      const last = windows.length - 1;
      // Overlapping windows merge up to WINDOW_MAX; past it the next one starts where the last ends.
      if (last > 0 && from <= (windows[last] as number)) {
        if (to - (windows[last - 1] as number) <= WINDOW_MAX) windows[last] = to;
        else if (to > (windows[last] as number)) windows.push(windows[last] as number, to);
      } else windows.push(from, to);
    }
  }
  return { hits, windows };
};

const words = (name: string): string =>
  name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ');

/**
 * Each window is read on its own: an obligation and its demand sit together, and a long document
 * with many obligations is not one demand for everything it mentions. The strongest window counts.
 */
const strongestWindow = (
  text: string,
  phrases: Hits,
  windows: readonly number[],
  own: string | undefined,
): { seen: Set<Action>; span: string } => {
  const masks: number[] = [];
  const spans: string[] = [];
  let w = 0;
  for (let h = 0; h < phrases.at.length; h++) {
    const at = phrases.at[h] as number;
    while (w < windows.length && at >= (windows[w + 1] as number)) w += 2;
    if (w >= windows.length) break;
    if (at < (windows[w] as number)) continue;
    const classes = phrases.classes[h] as number;
    for (let b = 0; b < ACTION_NAMES.length; b++) {
      const a = ACTION_NAMES[b] as Action;
      let found: boolean;
      if (a !== 'callTool') found = (classes & bit(a)) !== 0;
      else {
        // The name after a call verb is read only for verbs inside a window.
        const called = classes & CALL_VERB ? calledAt(text, phrases.end[h] as number) : undefined;
        found = called !== undefined && called !== own;
      }
      if (!found || (NEGATABLE & (1 << b) && negated(text, at))) continue;
      if (!spans[w / 2] && DEMANDS & (1 << b)) spans[w / 2] = text.slice(at, at + 80).trim();
      masks[w / 2] = (masks[w / 2] ?? 0) | (1 << b);
    }
  }
  let best = 0;
  masks.forEach((m, i) => {
    if (bitCount(m & DEMANDS) > bitCount((masks[best] ?? 0) & DEMANDS)) best = i;
  });
  const span = spans[best] ?? '';
  const seen = new Set(ACTION_NAMES.filter((_, b) => ((masks[best] ?? 0) >> b) & 1));
  return { seen, span };
};

/** Values of every feature for `text` (the scan text of `item`) and the rules' findings. */
export const intentFeatures = (
  text: string,
  item: Item,
  findings: Iterable<Finding>,
  /** Where the phrases' starts begin in `text`, found by a scanner that holds `INTENT_RULES` (else found here). */
  hits?: { readonly scanner: Scanner; readonly hits: Float64Array },
): { values: Float64Array; span: string } => {
  const values = new Float64Array(FEATURES.length);
  const set = (f: Feature, v = 1) => (values[FEATURES.indexOf(f)] = v);
  set('bias');
  set('surface:definition', item.surface === 'definition' ? 1 : 0);
  set('surface:output', item.surface === 'output' ? 1 : 0);
  let count = 0;
  for (const f of findings) {
    // A mention too weak to matter on its own (a config file named in setup text) is not evidence.
    if (f.weight < 0.1) continue;
    const key = `rules:${f.category}` as Feature;
    const k = FEATURES.includes(key) ? key : 'rules:other';
    const i = FEATURES.indexOf(k);
    values[i] = Math.max(values[i] as number, f.weight);
    count++;
  }
  set('rules:count>=2', count >= 2 ? 1 : 0);
  set('rules:count>=3', count >= 3 ? 1 : 0);
  const { hits: phrases, windows } = read(text, hits);
  if (windows.length === 0) return { values, span: '' };
  const { seen, span } = strongestWindow(text, phrases, windows, item.name?.toLowerCase());
  for (const a of seen) set(`window:${a}` as Feature);
  const both = (f: Feature, ...as: Action[]) => as.every((a) => seen.has(a)) && set(f);
  both('obligation+callTool', 'callTool');
  both('obligation+contact+url', 'contact', 'url');
  both('obligation+shell', 'shell');
  both('obligation+dotfile', 'dotfile');
  both('obligation+secret+contact', 'secret', 'contact');
  both('obligation+forceArg', 'forceArg');
  both('obligation+tellUser', 'tellUser');
  both('obligation+hide', 'hide');
  both('pretext+callTool', 'pretext', 'callTool');
  both('pretext+refuse', 'pretext', 'refuse');
  both('sequence+callTool', 'sequence', 'callTool');
  // Moving the conversation elsewhere, or changing an argument and hiding it: no tool's purpose.
  both('context+callTool', 'context', 'callTool');
  both('context+contact', 'context', 'contact');
  both('forceArg+hide', 'forceArg', 'hide');
  both('shell+url', 'shell', 'url');
  // What the tool's own name says it does: reading ~/.ssh is a file tool's job, not a weather tool's.
  const name = item.name !== undefined ? words(item.name) : undefined;
  for (const kind of ['callTool', 'url', 'shell', 'dotfile'] as const)
    if (name !== undefined && seen.has(kind) && !PURPOSE[kind].test(name)) set(`mismatch:${kind}`);
  set('windows>=3', windows.length >= 6 ? 1 : 0);
  return { values, span };
};

/** The fitted model's probability that `values` are an attack: a logistic function of their weighted sum. */
export const intentProbability = (
  values: ArrayLike<number>,
  weights: Readonly<Partial<Record<Feature, number>>>,
): number => {
  let z = 0;
  for (let i = 0; i < FEATURES.length; i++) {
    const v = values[i] as number;
    if (v !== 0) z += v * (weights[FEATURES[i] as Feature] ?? 0);
  }
  return 1 / (1 + Math.exp(-z));
};

/** What the intent finding adds to an item's score: its probability, from 0.5 up (a warn on its own); else nothing. */
export const intentWeight = (p: number): number => (p >= 0.5 ? Math.round(p * 100) / 100 : 0);
