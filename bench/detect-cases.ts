import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { definitionItem, payloadItem } from '../src/detect/collect.js';
import type { Item, Surface } from '../src/detect/types.js';

/**
 * Every labelled case of every source, as the items the engine scores: the new sources of
 * `data/detect/<source>/items.jsonl` (see its FORMAT.md) and the shared datasets. A source is a
 * whole dataset (or folder): the unit that leave-one-source-out holds out.
 */
export interface Case {
  readonly source: string;
  readonly id: string;
  readonly label: 'attack' | 'benign';
  readonly item: Item;
}

const text = (surface: Surface, t: string): Item =>
  payloadItem(surface, { content: [{ type: 'text', text: t }] });

const itemOf = (surface: string, item: unknown): Item | undefined => {
  const o = item && typeof item === 'object' ? (item as Record<string, unknown>) : undefined;
  switch (surface) {
    case 'definition':
    case 'prompt':
    case 'resource':
      return o ? definitionItem(o) : undefined;
    case 'output':
      return typeof item === 'string' ? text('output', item) : payloadItem('output', item);
    case 'instructions':
      return {
        surface: 'instructions',
        strings: [
          typeof item === 'string' ? item : typeof o?.['text'] === 'string' ? o['text'] : '',
        ],
      };
    default:
      return undefined;
  }
};

/** The sources of `dir` (data/detect): one folder each, its items.jsonl if present. */
export const loadJsonl = (dir: string): Case[] => {
  if (!existsSync(dir)) return [];
  const out: Case[] = [];
  for (const source of readdirSync(dir).sort()) {
    const file = join(dir, source, 'items.jsonl');
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const c = JSON.parse(line) as { id: string; surface: string; label: string; item: unknown };
      const item = itemOf(c.surface, c.item);
      if (item && (c.label === 'attack' || c.label === 'benign'))
        out.push({ source, id: c.id, label: c.label, item });
    }
  }
  return out;
};

/** MSB's derived tool definitions (attacked and original) and its injected outputs. */
const loadMsb = (data: string, json: (p: string) => unknown): Case[] => {
  const out: Case[] = [];
  const msb = 'msb/msb_tool_descriptions.derived.json';
  if (existsSync(join(data, msb))) {
    type Tool = {
      file: string;
      variant: string;
      tool: string;
      params: string[];
      description: string;
    };
    const tools = (json(msb) as { tools: Tool[] }).tools;
    const originals = new Set(
      tools
        .filter((t) => t.variant.startsWith('benign'))
        .map((t) => `${t.tool}|${t.params.join(',')}|${t.description}`),
    );
    // Seen as the gateway sees them: an attacked server next to the original server it imitates, an
    // original next to the other original servers (shadowing and mentions need that context).
    const servers = new Map<string, Set<string>>();
    for (const t of tools)
      if (t.variant.startsWith('benign'))
        servers.set(dirname(t.file), (servers.get(dirname(t.file)) ?? new Set()).add(t.tool));
    const othersOf = (dir: string) =>
      new Set([...servers].flatMap(([d, names]) => (d === dir ? [] : [...names])));
    tools.forEach((t, i) => {
      const benign = t.variant.startsWith('benign');
      // Unchanged copies of original tools in attacked files are not attacks.
      if (!benign && originals.has(`${t.tool}|${t.params.join(',')}|${t.description}`)) return;
      const properties = Object.fromEntries(t.params.map((p) => [p, { type: 'string' }]));
      out.push({
        source: 'msb',
        id: `msb-${dirname(t.file)}-${i}`,
        label: benign ? 'benign' : 'attack',
        item: definitionItem(
          { name: t.tool, description: t.description, inputSchema: { type: 'object', properties } },
          benign ? othersOf(dirname(t.file)) : (servers.get(dirname(t.file)) ?? new Set<string>()),
        ),
      });
    });
    const outputs = (
      json('msb/msb_injected_outputs.derived.json') as {
        injected_outputs: { injected_tool_output: string }[];
      }
    ).injected_outputs;
    outputs.forEach((o, i) =>
      out.push({
        source: 'msb',
        id: `msb-output-${i}`,
        label: 'attack',
        item: text('output', o.injected_tool_output),
      }),
    );
  }
  return out;
};

/** The shared datasets of `data` (../shared/datasets), as the existing bench reads them. */
export const loadShared = (data: string): Case[] => {
  const out: Case[] = [];
  const json = (p: string): unknown => JSON.parse(readFileSync(join(data, p), 'utf8'));
  out.push(...loadMsb(data, json));
  const secb = 'mcpsecbench/TUM-DSE';
  if (existsSync(join(data, secb))) {
    const attacks = json(`${secb}/attacks_updated.json`) as {
      name: string;
      malicious_prompt: string;
    }[];
    attacks.forEach((a, i) =>
      out.push({
        source: 'mcpsecbench',
        id: `mcpsecbench-${i}`,
        label: 'attack',
        item: definitionItem({ name: 'tool', description: a.malicious_prompt }),
      }),
    );
  }
  const npm = 'benign-npm-mcp-tools/benign_tools_list.json';
  if (existsSync(join(data, npm))) {
    type Server = { package: string; tools?: Record<string, unknown>[] };
    for (const s of (json(npm) as { servers: Server[] }).servers)
      for (const t of s.tools ?? [])
        out.push({
          source: 'shared-npm',
          id: `shared-npm-${s.package}-${String(t['name'])}`,
          label: 'benign',
          item: definitionItem(t),
        });
  }
  out.push(...agentDojo(data));
  return out;
};

/** AgentDojo: each injection slot's record filled with every template and goal, or its benign default. */
const agentDojo = (data: string): Case[] => {
  const dojo = join(data, 'agentdojo');
  if (!existsSync(dojo)) return [];
  const out: Case[] = [];
  const read = (p: string) => readFileSync(join(dojo, p), 'utf8');
  const templates = (
    JSON.parse(read('attack_templates.derived.json')) as {
      templates: Record<string, string>;
    }
  ).templates;
  const goals = (
    JSON.parse(read('injection_goals.derived.json')) as {
      goals: { suite: string; goal: string }[];
    }
  ).goals;
  const pyString = (g: string) =>
    g
      .replace(/^f?(['"])([\s\S]*)\1$/, '$2')
      .replace(/\{_?([A-Z_]+)\}/g, (_, n: string) => `<${n.toLowerCase()}>`);
  for (const suite of readdirSync(join(dojo, 'data/suites'))) {
    const lines = read(`data/suites/${suite}/environment.yaml`).split('\n');
    const vectors = parseYaml(read(`data/suites/${suite}/injection_vectors.yaml`)) as Record<
      string,
      { default: string }
    >;
    const defaults = Object.fromEntries(
      Object.entries(vectors).map(([k, v]) => [k, String(v.default ?? '')]),
    );
    const outputFor = (slot: string, t: string): string | undefined => {
      const at = lines.findIndex((l) => l.includes(`{${slot}}`));
      if (at < 0) return undefined;
      return lines
        .slice(Math.max(0, at - 6), at + 6)
        .join('\n')
        .replace(/\{(\w+)\}/g, (m, s: string) => (s === slot ? t : (defaults[s] ?? m)))
        .replace(/\\n/g, '\n')
        .replace(/\\"/g, '"');
    };
    const suiteGoals = goals.filter((g) => g.suite === suite).map((g) => pyString(g.goal));
    for (const slot of Object.keys(vectors)) {
      const benign = outputFor(slot, defaults[slot] ?? '');
      if (benign === undefined) continue;
      out.push({
        source: 'agentdojo',
        id: `agentdojo-${suite}-${slot}`,
        label: 'benign',
        item: text('output', benign),
      });
      for (const [name, tpl] of Object.entries(templates))
        suiteGoals.forEach((goal, g) => {
          const t = tpl
            .replaceAll('{goal}', goal)
            .replaceAll('{user}', 'Emma Johnson')
            .replaceAll('{model}', 'GPT-4')
            .replace(/\{[a-z_]+\}/g, '');
          out.push({
            source: 'agentdojo',
            id: `agentdojo-${suite}-${slot}-${name}-${g}`,
            label: 'attack',
            item: text('output', outputFor(slot, t) as string),
          });
        });
    }
  }
  return out;
};
