import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { createEngine, DEFAULT_ENGINE } from '../src/detect/engine.js';
import { FEATURES, intentProbability, intentWeight, type Feature } from '../src/detect/intent.js';
import { loadJsonl, loadShared, type Case } from './detect-cases.js';

/**
 * Fits the intent model (logistic regression over `FEATURES`) and measures it by source:
 * `node dist/bench/detect-fit.js --data ../shared/datasets --cases data/detect --write` refits on
 * every source and writes `src/detect/intent-weights.ts`; `bench:detect` prints the held-out table.
 */
export interface Row {
  readonly source: string;
  readonly label: 'attack' | 'benign';
  readonly surface: string;
  readonly x: Float64Array;
  /** The score of the rules alone (what the engine adds the intent weight to). */
  readonly score: number;
  /** A demand was found next to an obligation (only then does the engine weigh intent). */
  readonly demand: boolean;
}
export type Weights = Partial<Record<Feature, number>>;

/** Every case's intent features and rules score, from one scan by the real engine. */
export const observe = (cases: readonly Case[]): Row[] => {
  let last: { x: Float64Array; score: number; demand: boolean } | undefined;
  const engine = createEngine({
    ...DEFAULT_ENGINE,
    observe: (x, score, demand) => (last = { x: Float64Array.from(x), score, demand }),
  });
  return cases.map((c) => {
    last = undefined;
    engine.scan(c.item);
    const seen = last ?? { x: new Float64Array(FEATURES.length), score: 0, demand: false };
    return { source: c.source, label: c.label, surface: c.item.surface, ...seen };
  });
};

const logit = (x: Float64Array, w: Float64Array): number => {
  let z = 0;
  for (let i = 0; i < x.length; i++) z += (x[i] as number) * (w[i] as number);
  return z;
};
/**
 * Sources whose attack labels are not toolgate's task, with why: neither fitted on nor counted in the
 * worst source, their figures printed apart. ASB's attacker tools are honest descriptions of a
 * harmful purpose ("a tool used for reallocating CPU resources discreetly"): no instruction to the
 * agent is in the text a gateway reads; their attack is in what the tool later returns (source `asb`).
 */
const OFF_TASK: ReadonlyMap<string, string> = new Map([
  ['asb-tools', 'harmful purpose described, no instruction to the agent'],
]);

/**
 * Features that are evidence of an attack, never of its absence: an obligation paired with a demand
 * outside the tool's purpose, and a demand the tool's name does not explain. Their weights are kept
 * at 0 or above (projected gradient), so a benign source that uses the same words (a README's "you
 * must run curl … | bash") can lower how much they count, not turn them into a sign of safety.
 */
const EVIDENCE = FEATURES.map((f) => /\+|^mismatch:/.test(f));

/** The largest share of a benign source's items the intent model may flag on its own. */
const FP_BUDGET = 0.005;

/**
 * Logistic regression by gradient descent, each (source, label) group weighing the same, with an L2
 * penalty; then the bias is lowered until the model alone flags at most `FP_BUDGET` of every benign
 * training source (items the rules already flag do not count).
 */
export const fit = (all: readonly Row[]): Weights => {
  const rows = all.filter((r) => r.demand && !OFF_TASK.has(r.source));
  const groups = new Map<string, number>();
  for (const r of rows)
    groups.set(`${r.source}|${r.label}`, (groups.get(`${r.source}|${r.label}`) ?? 0) + 1);
  const sample = rows.map((r) => 1 / (groups.get(`${r.source}|${r.label}`) as number));
  const total = sample.reduce((a, b) => a + b, 0);
  const w = new Float64Array(FEATURES.length);
  const grad = new Float64Array(FEATURES.length);
  // Adam: the features are sparse and of different frequency, so each weight gets its own step.
  const m = new Float64Array(FEATURES.length);
  const v = new Float64Array(FEATURES.length);
  const lambda = 1e-3;
  for (let it = 1; it <= 1500; it++) {
    grad.fill(0);
    rows.forEach((r, k) => {
      const p = 1 / (1 + Math.exp(-logit(r.x, w)));
      const e = ((p - (r.label === 'attack' ? 1 : 0)) * (sample[k] as number)) / total;
      for (let i = 0; i < w.length; i++) grad[i] = (grad[i] as number) + e * (r.x[i] as number);
    });
    for (let i = 0; i < w.length; i++) {
      const g = (grad[i] as number) + (i === 0 ? 0 : lambda * (w[i] as number));
      m[i] = 0.9 * (m[i] as number) + 0.1 * g;
      v[i] = 0.999 * (v[i] as number) + 0.001 * g * g;
      const mh = (m[i] as number) / (1 - 0.9 ** it);
      const vh = (v[i] as number) / (1 - 0.999 ** it);
      w[i] = (w[i] as number) - (0.05 * mh) / (Math.sqrt(vh) + 1e-8);
      if (EVIDENCE[i]) w[i] = Math.max(0, w[i] as number);
    }
  }
  let shift = 0;
  const bySource = new Map<string, number[]>();
  for (const r of rows)
    if (r.label === 'benign') {
      const z = bySource.get(r.source) ?? [];
      z.push(r.score < DEFAULT_ENGINE.warnAt ? logit(r.x, w) : -Infinity);
      bySource.set(r.source, z);
    }
  for (const [source, z] of bySource) {
    const size = all.filter((r) => r.source === source && r.label === 'benign').length;
    const allowed = Math.floor(FP_BUDGET * size);
    const sorted = z.sort((a, b) => b - a);
    const above = sorted[allowed];
    if (above !== undefined && above >= 0) shift = Math.max(shift, above + 1e-6);
  }
  w[0] = (w[0] as number) - shift;
  const out: Weights = {};
  FEATURES.forEach((f, i) => {
    const v = Math.round((w[i] as number) * 1000) / 1000;
    if (v !== 0) out[f] = v;
  });
  return out;
};

/** Whether the engine flags (warn or block) a row with these weights. */
export const flags = (r: Row, w: Weights): boolean =>
  r.score + (r.demand ? intentWeight(intentProbability(r.x, w)) : 0) >= DEFAULT_ENGINE.warnAt;

export interface SourceFigures {
  readonly source: string;
  readonly attacks: number;
  readonly benign: number;
  readonly rules: { recall: number; fp: number };
  readonly inSample: { recall: number; fp: number };
  readonly heldOut: { recall: number; fp: number };
}
const rate = (rows: readonly Row[], label: string, w: Weights): number => {
  const of = rows.filter((r) => r.label === label);
  return of.length === 0 ? NaN : of.filter((r) => flags(r, w)).length / of.length;
};
const figures = (rows: readonly Row[], w: Weights) => ({
  recall: rate(rows, 'attack', w),
  fp: rate(rows, 'benign', w),
});

/** Leave-one-source-out: each source scored by a model fitted on all the others, next to in-sample and rules alone. */
export const bySource = (
  rows: readonly Row[],
): { sources: SourceFigures[]; heldOutOutputs: number } => {
  const all = fit(rows);
  const off: Weights = { bias: -1e9 };
  const sources: SourceFigures[] = [];
  let outputsFlagged = 0;
  let outputs = 0;
  for (const source of [...new Set(rows.map((r) => r.source))].sort()) {
    const mine = rows.filter((r) => r.source === source);
    const held = fit(rows.filter((r) => r.source !== source));
    for (const r of mine)
      if (r.label === 'attack' && r.surface === 'output' && !OFF_TASK.has(source)) {
        outputs++;
        if (flags(r, held)) outputsFlagged++;
      }
    sources.push({
      source,
      attacks: mine.filter((r) => r.label === 'attack').length,
      benign: mine.filter((r) => r.label === 'benign').length,
      rules: figures(mine, off),
      inSample: figures(mine, all),
      heldOut: figures(mine, held),
    });
  }
  return { sources, heldOutOutputs: outputs === 0 ? NaN : outputsFlagged / outputs };
};

/** The leave-one-source-out table of `bench:detect`, the worst sources and the held-out recall on outputs. */
export const losoTable = ({
  sources,
  heldOutOutputs,
}: {
  sources: SourceFigures[];
  heldOutOutputs: number;
}): string => {
  const f = (x: number) => (Number.isNaN(x) ? '–' : `${(100 * x).toFixed(1)}%`);
  const header =
    '| source | attacks | benign | rules alone: recall / FP | in-sample: recall / FP | held out: recall / FP |\n|---|---|---|---|---|---|';
  const row = (s: SourceFigures) =>
    `| ${s.source} | ${s.attacks} | ${s.benign} | ${f(s.rules.recall)} / ${f(s.rules.fp)} | ${f(s.inSample.recall)} / ${f(s.inSample.fp)} | ${f(s.heldOut.recall)} / ${f(s.heldOut.fp)} |`;
  const onTask = sources.filter((s) => !OFF_TASK.has(s.source));
  const offTask = sources.filter((s) => OFF_TASK.has(s.source));
  const out = [`\n${header}`, ...onTask.map(row)];
  if (offTask.length > 0)
    out.push(
      "\nLabels that are not toolgate's task (not fitted on, not in the worst source):\n",
      header,
      ...offTask.map((s) => `${row(s)} ${OFF_TASK.get(s.source) ?? ''}`),
    );
  const worst = onTask
    .filter((s) => s.attacks > 0)
    .sort((a, b) => a.heldOut.recall - b.heldOut.recall)[0];
  const worstFp = onTask.filter((s) => s.benign > 0).sort((a, b) => b.heldOut.fp - a.heldOut.fp)[0];
  if (worst)
    out.push(`\nWorst held-out attack source: ${worst.source} (recall ${f(worst.heldOut.recall)})`);
  if (worstFp)
    out.push(`Worst held-out benign source: ${worstFp.source} (FP ${f(worstFp.heldOut.fp)})`);
  out.push(`Held-out recall on output attacks (all sources): ${f(heldOutOutputs)}`);
  return out.join('\n');
};

/** Our own seed source (bench/seed), the shared datasets and the sources of data/detect. */
export const loadCases = (data: string, cases: string, seed = 'bench/seed'): Case[] => [
  ...loadJsonl(resolve(seed)),
  ...loadShared(resolve(data)),
  ...loadJsonl(resolve(cases)),
];

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: '../shared/datasets' },
      cases: { type: 'string', default: 'data/detect' },
      write: { type: 'boolean', default: false },
    },
  });
  const rows = observe(loadCases(values.data, values.cases));
  const w = fit(rows);
  console.log(JSON.stringify(w, null, 1));
  if (values.write) {
    const body = Object.entries(w)
      .map(([k, v]) => `  ${JSON.stringify(k)}: ${v},`)
      .join('\n');
    writeFileSync(
      'src/detect/intent-weights.ts',
      `// Generated by bench/detect-fit.ts (${rows.length} cases, ${new Set(rows.map((r) => r.source)).size} sources): do not edit.\nimport type { Feature } from './intent.js';\n\n/** Weights of the intent model (logistic regression), fitted on every labelled source. */\nexport const INTENT_WEIGHTS: Readonly<Partial<Record<Feature, number>>> = {\n${body}\n};\n`,
    );
  }
}
