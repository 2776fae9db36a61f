import { prepare, type Prepared } from './normalize.js';
import { ATTACK_CATEGORIES, RULES, SURFACE_WEIGHTS, type Category, type Rule } from './rules.js';
import { compileScanner, type Scanner } from './automaton.js';
import { hitsOf, matchAt, scan } from './scan.js';
import { templateQuery } from './template-query.js';
import {
  INTENT_RULES,
  intentFeatures,
  intentProbability,
  intentWeight,
  type Feature,
} from './intent.js';
import { INTENT_WEIGHTS } from './intent-weights.js';
import type { Reason } from '../core/content-event.js';
import type { Detector, Finding, Item, Normalized, Surface, Verdict } from './types.js';

export interface EngineOptions {
  /** Score at which a verdict becomes `warn`. */
  readonly warnAt: number;
  /** Score at which a verdict becomes `block`. */
  readonly blockAt: number;
  /** Extra detectors behind the plug-in interface, run after the built-in rules. */
  readonly detectors?: readonly Detector[];
  /** Weights of the intent model (default: the fitted ones). */
  readonly intentWeights?: Readonly<Partial<Record<Feature, number>>>;
  /** Sees every scanned item's intent features and the score without intent (for fitting, in bench/). */
  readonly observe?: (features: Float64Array, score: number, demand: boolean) => void;
}

export const DEFAULT_ENGINE: EngineOptions = { warnAt: 0.5, blockAt: 1.0 };

const SPAN = 80;
const span = (s: string) => (s.length > SPAN ? `${s.slice(0, SPAN - 1)}…` : s);
/** Instruction-like categories: found inside text the user cannot see, they are concealed on purpose. */
const CONCEALABLE: ReadonlySet<Category> = new Set([
  'override',
  'role',
  'addressed',
  'imperative',
  'concealment',
  'exfiltration',
  'secret-request',
  'fake-turn',
]);
const COMBINED_BONUS = 0.3;

/** The rules active on a surface (weight factor above 0), compiled into one anchor pass, once. */
const scanners = new Map<Surface, Scanner>();
const scannerFor = (surface: Surface): Scanner => {
  let s = scanners.get(surface);
  if (!s) {
    const weights = SURFACE_WEIGHTS[surface];
    // The intent model's phrases are found by the same automaton, in the same read.
    s = compileScanner([...RULES.filter((r) => (weights[r.category] ?? 1) !== 0), ...INTENT_RULES]);
    scanners.set(surface, s);
  }
  return s;
};

/** The built-in rules as a detector: what every engine runs first. */
const builtIn: Detector = {
  id: 'rules',
  detect(doc: Normalized, item: Item): Finding[] {
    const weights = SURFACE_WEIGHTS[item.surface];
    const scanner = scannerFor(item.surface);
    const prepared = doc as Partial<Prepared>;
    const text = prepared.scan ?? doc.text;
    const out: Finding[] = [];
    // The starts were found while the scan text was written, if it was written for this surface's rules.
    const hits = prepared.hits?.scanner === scanner ? prepared.hits.hits : hitsOf(scanner, text);
    matchAt(scanner, text, hits, prepared.swaps).forEach((m, i) => {
      const rule = scanner.rules[i] as Rule;
      if (m !== undefined && rule.weight > 0)
        out.push({
          rule: rule.id,
          category: rule.category,
          weight: rule.weight * (weights[rule.category] ?? 1),
          span: span(m.trim()),
        });
    });
    const exfiltration = weights.exfiltration ?? 1;
    const template = exfiltration > 0 ? templateQuery(text) : undefined;
    if (template) out.push({ ...template, weight: template.weight * exfiltration });
    if (doc.hidden) {
      // Instructions inside text the user cannot see are concealed on purpose.
      const hidden = scan(scanner, doc.hidden);
      const h =
        hidden.find(
          (m, i) => m !== undefined && CONCEALABLE.has((scanner.rules[i] as Rule).category),
        ) ?? (exfiltration > 0 ? templateQuery(doc.hidden)?.span : undefined);
      if (h !== undefined)
        out.push({
          rule: 'concealed-instruction',
          category: 'hidden',
          weight: 0.7,
          span: span(h.trim()),
        });
    }
    if (doc.hiddenChars > 0 && (weights.hidden ?? 1) > 0)
      out.push({
        rule: 'hidden-characters',
        category: 'hidden',
        weight: 0.5,
        span: `${doc.hiddenChars} invisible code point(s)`,
      });
    return out;
  },
};

/** A tool name without separators, case and version-like suffixes: `search_v2`, `SearchNew` → `search`. */
const stem = (name: string): string =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '')
    .replace(/(?:v?\d+|new|pro|plus|official|latest|updated|fixed|beta|alt)+$/, '');

/** The words of a tool name: `getWordDocument`, `get_word_document` → get, word, document. */
const nameWords = (name: string): string[] =>
  name
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
/**
 * A name made of another's words (two at least), reordered or with one word added:
 * `web_search` ~ `search_web`, `copy_word_file` ~ `copy_file`.
 */
const imitates = (own: ReadonlySet<string>, other: readonly string[]): boolean => {
  const theirs = new Set(other);
  if (theirs.size < 2 || ![...theirs].every((w) => own.has(w))) return false;
  return own.size - theirs.size <= 1;
};

/**
 * Shadowing: a definition whose name is another server's tool name, or imitates one (`send_email_v2`
 * next to `send_email`), or that names another server's tool (distinctive names, as whole words).
 */
const shadowing: Detector = {
  id: 'shadowing',
  detect(doc: Normalized, item: Item): Finding[] {
    if (!item.foreignTools || item.surface !== 'definition') return [];
    // Another server offers a tool of the very same name: which one the model calls is up to chance.
    if (item.name !== undefined && item.foreignTools.has(item.name))
      return [{ rule: 'name-collision', category: 'shadowing', weight: 0.5, span: item.name }];
    const own = item.name !== undefined ? stem(item.name) : '';
    const ownWords = item.name !== undefined ? new Set(nameWords(item.name)) : new Set<string>();
    if (own.length >= 4)
      for (const name of item.foreignTools)
        if (name !== item.name && (stem(name) === own || imitates(ownWords, nameWords(name))))
          return [
            {
              rule: 'name-squatting',
              category: 'shadowing',
              weight: 0.6,
              span: `${item.name} ~ ${name}`,
            },
          ];
    for (const name of item.foreignTools) {
      const n = name.toLowerCase();
      if (n.length < 4 || !/[_\-.]|[a-z][A-Z]/.test(name)) continue;
      let at = doc.text.indexOf(n);
      while (at >= 0) {
        const before = doc.text[at - 1] ?? ' ';
        const after = doc.text[at + n.length] ?? ' ';
        if (!/[\w-]/.test(before) && !/[\w-]/.test(after))
          return [
            { rule: 'mentions-foreign-tool', category: 'shadowing', weight: 0.6, span: name },
          ];
        at = doc.text.indexOf(n, at + 1);
      }
    }
    return [];
  },
};

export interface Engine {
  scan(item: Item): Verdict;
}

/**
 * The one detection engine for every surface. It normalises the joined strings of one item, runs
 * every detector, adds the weights of distinct rules (plus a bonus when signals of two attack
 * categories meet), and decides against the thresholds.
 * @example
 * const engine = createEngine(DEFAULT_ENGINE);
 * engine.scan({ surface: 'output', strings: ['Ignore all previous instructions.'] }).action // 'block'
 */
export const createEngine = (options: EngineOptions = DEFAULT_ENGINE): Engine => {
  const detectors = [builtIn, shadowing, ...(options.detectors ?? [])];
  const actionOf = (score: number): Verdict['action'] =>
    score >= options.blockAt ? 'block' : score >= options.warnAt ? 'warn' : 'pass';
  /** The verdict on an item no detector found anything in (most items): one frozen object, made once. */
  const nothing: Verdict = Object.freeze({
    action: actionOf(0),
    score: 0,
    reasons: Object.freeze([]),
  });
  return {
    scan(item: Item): Verdict {
      const strings = item.params
        ? [...item.strings, ...item.params.map((p) => `param: ${p}`)]
        : item.strings;
      const doc = prepare(
        strings,
        item.surface === 'arguments' ? '\u2029' : '\n',
        scannerFor(item.surface),
      );
      let findings: Map<string, Finding> | undefined;
      for (const detector of detectors)
        for (const f of detector.detect(doc, item)) {
          const prev = (findings ??= new Map<string, Finding>()).get(f.rule);
          if (!prev || prev.weight < f.weight) findings.set(f.rule, f);
        }
      const surfaceIntent = SURFACE_WEIGHTS[item.surface].intent ?? 1;
      let intent: { values: Float64Array; span: string } | undefined;
      if (surfaceIntent > 0 || options.observe) {
        intent = intentFeatures(doc.scan, item, findings?.values() ?? [], doc.hits);
        // No obligation and no rule: nothing to weigh (most text).
        if (!intent.span && !findings && !options.observe) intent = undefined;
      }
      if (!findings && !intent) return nothing;
      findings ??= new Map();
      let score = 0;
      const categories = new Set<string>();
      for (const f of findings.values()) {
        score += f.weight;
        if (f.weight >= 0.3 && ATTACK_CATEGORIES.has(f.category as Category))
          categories.add(f.category);
      }
      const reasons: Reason[] = [...findings.values()]
        .sort((a, b) => b.weight - a.weight)
        .map((f) => ({ rule: f.rule, span: f.span }));
      if (categories.size >= 2) {
        score += COMBINED_BONUS;
        reasons.push({ rule: 'combined-signals', span: [...categories].join('+') });
      }
      if (intent) {
        options.observe?.(intent.values, score, intent.span !== '');
        // Only a demand next to an obligation is intent; the rules' evidence alone is theirs to weigh.
        const p = intent.span
          ? intentProbability(intent.values, options.intentWeights ?? INTENT_WEIGHTS)
          : 0;
        const weight = intentWeight(p) * surfaceIntent;
        if (weight > 0) {
          score += weight;
          const at = [...findings.values()].filter((f) => f.weight >= weight).length;
          reasons.splice(at, 0, { rule: 'intent', span: `${intent.span} (p=${p.toFixed(2)})` });
        }
      }
      score = Math.round(score * 100) / 100;
      const action = actionOf(score);
      return { action, score, reasons: action === 'pass' ? [] : reasons };
    },
  };
};
