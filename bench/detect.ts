import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { definitionItem, payloadItem } from '../src/detect/collect.js';
import { createEngine } from '../src/detect/engine.js';
import { createFrameInspector } from '../src/detect/frame.js';
import type { Action, Item } from '../src/detect/types.js';
import { bySource, loadCases, observe } from './detect-fit.js';

/**
 * `npm run bench:detect -- --data ../shared/datasets`: scores the detector on data written by
 * others (read in place, never copied): recall and false positives per dataset and category,
 * guardbench exact action, throughput and how time grows with input size. Not part of npm test.
 */
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/datasets' },
    verbose: { type: 'boolean', default: false },
    // Which half's errors --verbose lists: rules are tuned on the development half only.
    half: { type: 'string', default: 'dev' },
    'no-speed': { type: 'boolean', default: false },
    // The new labelled sources (data/detect/<source>/items.jsonl), for the held-out-by-source table.
    cases: { type: 'string', default: 'data/detect' },
  },
});
const data = resolve(values.data);
if (!existsSync(data)) {
  console.log(`bench:detect: no datasets at ${data}; nothing to score (pass --data DIR).`);
  process.exit(0);
}

const engine = createEngine();
const inspector = createFrameInspector(engine);
const json = (path: string): unknown => JSON.parse(readFileSync(join(data, path), 'utf8'));
const pct = (n: number, d: number) => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)}%`);

interface Tally {
  flagged: number;
  total: number;
  blocked: number;
}
type Half = 'dev' | 'held-out';
/**
 * Every case falls in one of two halves by a hash of its id (for AgentDojo the goal, for MSB the
 * tool, so one goal or tool never straddles both). Errors are only ever looked at on the
 * development half; the held-out half shows whether the rules generalise.
 */
const halfOf = (id: string): Half =>
  (createHash('sha256').update(id).digest()[0] as number) % 2 === 0 ? 'dev' : 'held-out';
const tallies = new Map<string, Tally>();
const misses: string[] = [];
const bump = (key: string, action: Action) => {
  const t = tallies.get(key) ?? { flagged: 0, total: 0, blocked: 0 };
  t.total++;
  if (action !== 'pass') t.flagged++;
  if (action === 'block') t.blocked++;
  tallies.set(key, t);
};
/** Counts one case under `key`, overall and in its half; --verbose lists the chosen half's cases. */
const count = (key: string, action: Action, id: string, label = '') => {
  const half = halfOf(id);
  bump(key, action);
  bump(`${key}\u0000${half}`, action);
  if (values.verbose && label && half === values.half) misses.push(`${key}\t${action}\t${label}`);
};
const isBenign = (key: string) => /benign|original/.test(key);
const cell = (key: string, t: Tally | undefined) =>
  !t
    ? '–'
    : isBenign(key)
      ? `FP ${pct(t.flagged, t.total)} (${t.flagged}/${t.total})`
      : `${pct(t.flagged, t.total)} (${t.flagged}/${t.total}; block ${t.blocked})`;

// 1. mcp-guardbench: frames with expected pass/warn/block, through the `toolgate inspect --ndjson` logic.
const guard = join(data, 'mcp-guardbench/cases');
let exact = 0;
let guardTotal = 0;
if (existsSync(guard)) {
  for (const bucket of readdirSync(guard))
    for (const file of readdirSync(join(guard, bucket))) {
      const c = json(`mcp-guardbench/cases/${bucket}/${file}`) as {
        id: string;
        category: string | null;
        expected: { action: Action };
        message: unknown;
      };
      const v = inspector.inspect(c.message);
      const key =
        c.expected.action === 'pass'
          ? 'guardbench benign'
          : `guardbench attack ${c.category ?? bucket}`;
      count(
        key,
        v.action,
        c.id,
        `${c.id} expected ${c.expected.action} ${JSON.stringify(v.reasons.slice(0, 3))}`,
      );
      count(
        c.expected.action === 'pass' ? 'guardbench all-benign' : 'guardbench all-attacks',
        v.action,
        c.id,
      );
      guardTotal++;
      if (v.action === c.expected.action) exact++;
    }
}

// 2. MSB: attacked vs original descriptions of the same tools, each seen next to the original server's tools (shadowing context).
const msbPath = 'msb/msb_tool_descriptions.derived.json';
let msbIdentical = 0;
if (existsSync(join(data, msbPath))) {
  const tools = (
    json(msbPath) as {
      tools: {
        file: string;
        variant: string;
        tool: string;
        params: string[];
        description: string;
      }[];
    }
  ).tools;
  const dirOf = (f: string) => dirname(f);
  const originals = new Map<string, Set<string>>();
  const originalTexts = new Set<string>();
  for (const t of tools)
    if (t.variant.startsWith('benign')) {
      originals.set(dirOf(t.file), (originals.get(dirOf(t.file)) ?? new Set()).add(t.tool));
      originalTexts.add(`${t.tool}|${t.params.join(',')}|${t.description}`);
    }
  for (const t of tools) {
    const benign = t.variant.startsWith('benign');
    const foreign = benign
      ? new Set<string>()
      : (originals.get(dirOf(t.file)) ?? new Set<string>());
    const properties = Object.fromEntries(t.params.map((p) => [p, { type: 'string' }]));
    const v = engine.scan(
      definitionItem(
        { name: t.tool, description: t.description, inputSchema: { type: 'object', properties } },
        foreign,
      ),
    );
    const identical =
      !benign && originalTexts.has(`${t.tool}|${t.params.join(',')}|${t.description}`);
    if (identical) msbIdentical++;
    const id = `msb:${t.tool.replace(/_v\d+$/, '')}`;
    count(
      benign ? 'msb original' : `msb attacked ${t.variant}`,
      v.action,
      id,
      `${t.tool} ${JSON.stringify(v.reasons.slice(0, 3))}`,
    );
    if (!benign) count('msb attacked (all)', v.action, id);
    // Attacked server files also register unchanged copies of the original tools: nothing in them differs.
    if (!benign && !identical)
      count('msb attacked (all, excluding unchanged copies)', v.action, id);
  }
  const outputs = (
    json('msb/msb_injected_outputs.derived.json') as {
      injected_outputs: { template: string; injected_tool_output: string }[];
    }
  ).injected_outputs;
  outputs.forEach((o, i) =>
    count(
      `msb injected output ${o.template}`,
      engine.scan(
        payloadItem('output', { content: [{ type: 'text', text: o.injected_tool_output }] }),
      ).action,
      `msb-output:${i}`,
    ),
  );
}

// 3. AgentDojo: each injection slot in its environment, filled with a rendered attack or its benign default.
const dojo = join(data, 'agentdojo');
if (existsSync(dojo)) {
  const templates = (
    json('agentdojo/attack_templates.derived.json') as { templates: Record<string, string> }
  ).templates;
  const goals = (
    json('agentdojo/injection_goals.derived.json') as { goals: { suite: string; goal: string }[] }
  ).goals;
  const pyString = (g: string) =>
    g
      .replace(/^f?(['"])([\s\S]*)\1$/, '$2')
      .replace(/\{_?([A-Z_]+)\}/g, (_, n: string) => `<${n.toLowerCase()}>`);
  const render = (tpl: string, goal: string) =>
    tpl
      .replaceAll('{goal}', goal)
      .replaceAll('{user}', 'Emma Johnson')
      .replaceAll('{model}', 'GPT-4')
      .replace(/\{[a-z_]+\}/g, '');
  for (const suite of readdirSync(join(dojo, 'data/suites'))) {
    const dir = join(dojo, 'data/suites', suite);
    const env = readFileSync(join(dir, 'environment.yaml'), 'utf8');
    const vectors = parseYaml(readFileSync(join(dir, 'injection_vectors.yaml'), 'utf8')) as Record<
      string,
      { default: string }
    >;
    const defaults = Object.fromEntries(
      Object.entries(vectors).map(([k, v]) => [k, String(v.default ?? '')]),
    );
    const lines = env.split('\n');
    // The tool output that carries a slot: its YAML record (the lines around it), other slots at their defaults.
    const outputFor = (slot: string, text: string): string | undefined => {
      const at = lines.findIndex((l) => l.includes(`{${slot}}`));
      if (at < 0) return undefined;
      const chunk = lines.slice(Math.max(0, at - 6), at + 6).join('\n');
      // YAML double-quoted escapes become the characters a tool would return.
      return chunk
        .replace(/\{(\w+)\}/g, (m, s: string) => (s === slot ? text : (defaults[s] ?? m)))
        .replace(/\\n/g, '\n')
        .replace(/\\t/g, '\t')
        .replace(/\\"/g, '"');
    };
    const suiteGoals = goals.filter((g) => g.suite === suite).map((g) => pyString(g.goal));
    for (const slot of Object.keys(vectors)) {
      const benign = outputFor(slot, defaults[slot] ?? '');
      if (benign === undefined) continue;
      count(
        'agentdojo benign default',
        engine.scan(payloadItem('output', { content: [{ type: 'text', text: benign }] })).action,
        `${suite}/${slot}`,
        `${suite}/${slot}`,
      );
      for (const [name, tpl] of Object.entries(templates))
        suiteGoals.forEach((goal, g) => {
          const text = outputFor(slot, render(tpl, goal)) as string;
          const a = engine.scan(
            payloadItem('output', { content: [{ type: 'text', text }] }),
          ).action;
          const id = `${suite}/goal${g}`;
          count(
            `agentdojo injected ${name}`,
            a,
            id,
            a === 'pass' ? `${suite}/${slot}: ${goal.slice(0, 80)}` : '',
          );
          count('agentdojo injected (all)', a, id);
        });
    }
  }
}

// 4. MCPSecBench: poisoned descriptions, and the tools of its malicious and benign servers.
const secb = join(data, 'mcpsecbench/TUM-DSE');
if (existsSync(secb)) {
  const attacks = json('mcpsecbench/TUM-DSE/attacks_updated.json') as {
    name: string;
    malicious_prompt: string;
  }[];
  for (const a of attacks)
    count(
      'mcpsecbench poisoned description',
      engine.scan(definitionItem({ name: 'tool', description: a.malicious_prompt })).action,
      a.name,
      a.name,
    );
  const tools = (
    json('mcpsecbench/TUM-DSE/tools.derived.json') as {
      tools: { server_role: string; name: string; description: string; params: string[] }[];
    }
  ).tools;
  for (const t of tools) {
    const properties = Object.fromEntries(t.params.map((p) => [p, { type: 'string' }]));
    const v = engine.scan(
      definitionItem({
        name: t.name,
        description: t.description,
        inputSchema: { type: 'object', properties },
      }),
    );
    count(`mcpsecbench ${t.server_role}-server tools`, v.action, t.name, t.name);
  }
}

// 5. Benign npm MCP servers: every definition (next to the other servers' tools) and the server instructions.
const npmPath = 'benign-npm-mcp-tools/benign_tools_list.json';
if (existsSync(join(data, npmPath))) {
  const servers = (
    json(npmPath) as {
      servers: {
        package: string;
        instructions?: string;
        tools?: Record<string, unknown>[];
        prompts?: Record<string, unknown>[];
        resources?: Record<string, unknown>[];
      }[];
    }
  ).servers;
  for (const s of servers) {
    const foreign = new Set(
      servers.filter((o) => o !== s).flatMap((o) => (o.tools ?? []).map((t) => String(t['name']))),
    );
    for (const kind of ['tools', 'prompts', 'resources'] as const)
      for (const d of s[kind] ?? [])
        count(
          `npm benign ${kind}`,
          engine.scan(definitionItem(d, foreign)).action,
          s.package,
          `${s.package} ${String(d['name'])}`,
        );
    if (s.instructions)
      count(
        'npm benign instructions',
        engine.scan({ surface: 'instructions', strings: [s.instructions] }).action,
        s.package,
        s.package,
      );
  }
}

// 6. Throughput: benign text of growing size through the engine, one core.
const corpus = (() => {
  const parts: string[] = [];
  if (existsSync(join(data, npmPath))) parts.push(JSON.stringify(json(npmPath)));
  if (existsSync(dojo))
    for (const s of readdirSync(join(dojo, 'data/suites')))
      parts.push(readFileSync(join(dojo, 'data/suites', s, 'environment.yaml'), 'utf8'));
  return parts.join('\n') || 'The quick brown fox jumps over the lazy dog. '.repeat(1000);
})();
const sized = (bytes: number) => {
  let s = corpus;
  while (s.length < bytes) s += '\n' + corpus;
  return s.slice(0, bytes);
};
const speed: string[] = [];
const WARM_UP_MS = 1500;
/** Milliseconds of this process's CPU time since `from`. */
const cpuSince = (from: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1000;
};
const perByte: number[] = [];
const WINDOWS = 5;
/**
 * Warms `run` up (at least 3 calls and `WARM_UP_MS` of CPU, so that one-off costs are paid before the
 * clock starts), then times `WINDOWS` windows of `runs` calls each and keeps the median window (by CPU
 * time), per call: one window can fall in a burst of outside load or in a phase of the heap growing;
 * the median of five is the steady rate.
 */
const medianWindow = (run: () => void, runs: number): { cpu: number; wall: number } => {
  const w0 = process.cpuUsage();
  for (let i = 0; i < 3 || cpuSince(w0) < WARM_UP_MS; i++) run();
  const windows: { cpu: number; wall: number }[] = [];
  for (let w = 0; w < WINDOWS; w++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) run();
    windows.push({
      wall: Number(process.hrtime.bigint() - t0) / 1e6 / runs,
      cpu: cpuSince(c0) / runs,
    });
  }
  return windows.sort((a, b) => a.cpu - b.cpu)[WINDOWS >> 1] as { cpu: number; wall: number };
};
for (const kb of values['no-speed'] ? [] : [16, 64, 256, 1024, 4096]) {
  const text = sized(kb * 1024);
  const item: Item = payloadItem('output', { content: [{ type: 'text', text }] });
  const runs = Math.max(5, Math.ceil(32_768 / kb));
  // The warm-up pays the one-off costs (the optimising compiler's work on the scan loop, 0.1 s on
  // another thread but counted in this process's CPU time, and the first second in which the memory of
  // each scan text is mapped afresh, about half the steady speed at 256 KiB): what is timed is the
  // steady state of a long-running gateway.
  // CPU time of this process (one core), and wall time: on a shared machine wall time includes waiting.
  const { cpu, wall } = medianWindow(() => engine.scan(item), runs);
  perByte.push(cpu / kb);
  speed.push(
    `| ${kb} KiB | ${cpu.toFixed(2)} ms | ${(kb / 1024 / (cpu / 1000)).toFixed(1)} MB/s | ${wall.toFixed(2)} ms | ${(kb / 1024 / (wall / 1000)).toFixed(1)} MB/s |`,
  );
}

// The same at 1 MiB for each kind of text alone: JSON (camelCase keys to split) and YAML prose.
const kinds: string[] = [];
const byKind: [string, string][] = [];
if (existsSync(join(data, npmPath)))
  byKind.push(['JSON (npm tool lists)', JSON.stringify(json(npmPath), null, 1)]);
if (existsSync(dojo))
  byKind.push([
    'YAML prose (AgentDojo environments)',
    readdirSync(join(dojo, 'data/suites'))
      .map((s) => readFileSync(join(dojo, 'data/suites', s, 'environment.yaml'), 'utf8'))
      .join('\n'),
  ]);
// Text above U+00FF, generated here (a fixed pseudo-random sequence, no dataset): every such character is
// written to the scan text as a placeholder, and fullwidth punctuation makes NFKC folding run.
const generated = (piece: (next: () => number) => string): string => {
  let seed = 1;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const parts: string[] = [];
  for (let n = 0; n < 1 << 20;) {
    const p = piece(next);
    parts.push(p);
    n += p.length;
  }
  return parts.join('');
};
byKind.push([
  'CJK (generated: ideographs, fullwidth punctuation)',
  generated(
    (next) =>
      Array.from({ length: 12 }, () =>
        String.fromCharCode(0x4e00 + Math.floor(next() * 0x5000)),
      ).join('') +
      (next() < 0.5 ? '，' : '。') +
      (next() < 0.05 ? '\n' : ''),
  ),
]);
byKind.push([
  'Emoji and ASCII words (generated)',
  generated(
    (next) =>
      `word${Math.floor(next() * 100)} ${String.fromCodePoint(0x1f600 + Math.floor(next() * 64))} `,
  ),
]);
for (const [name, source] of values['no-speed'] ? [] : byKind) {
  let text = source;
  while (text.length < 1 << 20) text += '\n' + source;
  const sliced = text.slice(0, 1 << 20);
  const item: Item = payloadItem('output', { content: [{ type: 'text', text: sliced }] });
  const { cpu } = medianWindow(() => engine.scan(item), 10);
  const utf8 = Buffer.byteLength(sliced) / (1 << 20);
  kinds.push(
    `| ${name} | ${utf8.toFixed(2)} MiB | ${cpu.toFixed(2)} ms | ${(utf8 / (cpu / 1000)).toFixed(1)} MB/s | ${(1 / (cpu / 1000)).toFixed(1)} M/s |`,
  );
}

// A yardstick for this machine: one plain loop reading every character of 1 MiB (no detection at all).
let yardstick = 0;
if (!values['no-speed']) {
  const text = sized(1 << 20);
  let sum = 0;
  const c0 = process.cpuUsage();
  for (let r = 0; r < 20; r++)
    for (let i = 0; i < text.length; i++) sum = (sum + text.charCodeAt(i)) | 0;
  const c = process.cpuUsage(c0);
  yardstick = (c.user + c.system) / 1000 / 20;
  if (sum === 42) console.log('');
}

const t = (k: string) => tallies.get(k);
console.log(
  `# detection benchmark (${new Date().toISOString().slice(0, 10)}, node ${process.version})\n`,
);
console.log('| dataset | group | all | development half | held-out half |\n|---|---|---|---|---|');
for (const key of [...tallies.keys()].filter((k) => !k.includes('\u0000')).sort())
  console.log(
    `| ${key.split(' ')[0]} | ${key.split(' ').slice(1).join(' ')} | ${cell(key, t(key))} | ${cell(key, t(`${key}\u0000dev`))} | ${cell(key, t(`${key}\u0000held-out`))} |`,
  );
if (guardTotal)
  console.log(`\nguardbench exact action: ${pct(exact, guardTotal)} (${exact}/${guardTotal})`);
if (msbIdentical)
  console.log(
    `MSB attacked entries identical in name, parameters and description to an original tool: ${msbIdentical}`,
  );
if (speed.length > 0) {
  console.log(
    '\n| input | CPU time per scan | throughput (CPU) | wall time per scan | throughput (wall) |\n|---|---|---|---|---|\n' +
      speed.join('\n'),
  );
  console.log(
    '\n| text (1 Mi UTF-16 code units) | UTF-8 size | CPU time per scan | throughput (CPU, UTF-8) | code units per second |\n|---|---|---|---|---|\n' +
      kinds.join('\n'),
  );
  console.log(
    `\nYardstick: a plain loop reading each character of 1 MiB takes ${yardstick.toFixed(2)} ms of CPU here; a 1 MiB scan costs ${(((perByte[3] as number) * 1024) / yardstick).toFixed(1)}× that.`,
  );
  // Small inputs are timed too briefly to be steady: growth is read from 256 KiB up.
  console.log(
    `\nCPU time per byte, 4096 KiB vs 256 KiB: ${((perByte.at(-1) as number) / (perByte[2] as number)).toFixed(2)}× (1.00× = linear)`,
  );
}
// Leave-one-source-out: the intent model fitted without a source, scored on it (recall on its
// attacks, false positives on its benign items), next to the model fitted on every source and the rules alone.
{
  const { sources, heldOutOutputs } = bySource(observe(loadCases(data, values.cases)));
  const f = (x: number) => (Number.isNaN(x) ? '–' : `${(100 * x).toFixed(1)}%`);
  console.log(
    '\n| source | attacks | benign | rules alone: recall / FP | in-sample: recall / FP | held out: recall / FP |\n|---|---|---|---|---|---|',
  );
  for (const s of sources)
    console.log(
      `| ${s.source} | ${s.attacks} | ${s.benign} | ${f(s.rules.recall)} / ${f(s.rules.fp)} | ${f(s.inSample.recall)} / ${f(s.inSample.fp)} | ${f(s.heldOut.recall)} / ${f(s.heldOut.fp)} |`,
    );
  const attacked = sources.filter((s) => s.attacks > 0);
  const worst = attacked.sort((a, b) => a.heldOut.recall - b.heldOut.recall)[0];
  const worstFp = [...sources]
    .filter((s) => s.benign > 0)
    .sort((a, b) => b.heldOut.fp - a.heldOut.fp)[0];
  if (worst)
    console.log(
      `\nWorst held-out attack source: ${worst.source} (recall ${f(worst.heldOut.recall)})`,
    );
  if (worstFp)
    console.log(`Worst held-out benign source: ${worstFp.source} (FP ${f(worstFp.heldOut.fp)})`);
  console.log(`Held-out recall on output attacks (all sources): ${f(heldOutOutputs)}`);
}
if (values.verbose) console.log('\n' + misses.join('\n'));
