import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { definitionItem, payloadItem } from '../src/detect/collect.js';
import { createEngine } from '../src/detect/engine.js';
import { createFrameInspector } from '../src/detect/frame.js';
import type { Action } from '../src/detect/types.js';
import { createTallies } from './detect-tally.js';
import { bySource, loadCases, losoTable, observe } from './detect-fit.js';
import { throughput } from './detect-speed.js';

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
const { count, misses, table } = createTallies(values.verbose ? values.half : undefined);
const pct = (n: number, d: number) => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)}%`);

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

console.log(
  `# detection benchmark (${new Date().toISOString().slice(0, 10)}, node ${process.version})\n`,
);
console.log(table());
if (guardTotal)
  console.log(`\nguardbench exact action: ${pct(exact, guardTotal)} (${exact}/${guardTotal})`);
if (msbIdentical)
  console.log(
    `MSB attacked entries identical in name, parameters and description to an original tool: ${msbIdentical}`,
  );
if (!values['no-speed']) console.log(throughput(data, engine));
// Leave-one-source-out: the intent model fitted without a source, scored on it (recall on its
// attacks, false positives on its benign items), next to the model fitted on every source and the rules alone.
console.log(losoTable(bySource(observe(loadCases(data, values.cases)))));
if (values.verbose) console.log('\n' + misses.join('\n'));
