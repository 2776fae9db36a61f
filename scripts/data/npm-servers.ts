// Turns captures made by capture-npm-tools.ts into the benign corpus data/detect/npm-mcp-servers/:
// every tool, prompt and resource definition and the initialize instructions of each server that
// started, labelled benign, plus SOURCE.md with package, version, licence and counts per server. Only
// packages under a licence that permits redistribution are written out; the others are named and
// counted in SOURCE.md only.
//
//   npx jiti scripts/data/npm-servers.ts CAPTURE.json [CAPTURE.json ...]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DetectItem } from '../../bench/data/format.js';
import type { Captured } from './capture-npm-tools.js';
import { DATA, writeSource } from './common.js';
import { isPermissive } from './licence.js';

const SOURCE = 'npm-mcp-servers';

const slug = (pkg: string) =>
  pkg
    .replace(/^@/, '')
    .replace(/[^a-zA-Z0-9]+/g, '-')
    .toLowerCase();
const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

const itemsOf = (server: Captured): DetectItem[] => {
  const meta = { package: server.package, version: server.version, license: server.license };
  const base = `${SOURCE}-${slug(server.package)}`;
  const out: DetectItem[] = [];
  const seen = new Set<string>();
  const push = (line: DetectItem) => {
    if (seen.has(line.id)) return; // a server that lists one name twice: the first copy
    seen.add(line.id);
    out.push(line);
  };
  for (const tool of server.tools.map(record))
    if (typeof tool['name'] === 'string')
      push({
        id: `${base}-tool-${tool['name']}`,
        source: SOURCE,
        surface: 'definition',
        label: 'benign',
        item: { ...tool, name: tool['name'] },
        meta,
      });
  for (const prompt of server.prompts.map(record))
    if (typeof prompt['name'] === 'string')
      push({
        id: `${base}-prompt-${prompt['name']}`,
        source: SOURCE,
        surface: 'prompt',
        label: 'benign',
        item: { ...prompt, name: prompt['name'] },
        meta,
      });
  for (const resource of server.resources.map(record))
    if (typeof resource['uri'] === 'string')
      push({
        id: `${base}-resource-${resource['uri']}`,
        source: SOURCE,
        surface: 'resource',
        label: 'benign',
        item: { ...resource, uri: resource['uri'] },
        meta,
      });
  if (server.instructions !== undefined && server.instructions.trim() !== '')
    push({
      id: `${base}-instructions`,
      source: SOURCE,
      surface: 'instructions',
      label: 'benign',
      item: { text: server.instructions },
      meta,
    });
  return out;
};

const main = () => {
  const byPackage = new Map<string, Captured>();
  for (const file of process.argv.slice(2))
    for (const server of JSON.parse(readFileSync(file, 'utf8')) as Captured[]) {
      const before = byPackage.get(server.package);
      if (before === undefined || !before.ok || server.ok) byPackage.set(server.package, server);
    }
  const servers = [...byPackage.values()].sort((a, b) => a.package.localeCompare(b.package));
  const started = servers.filter((s) => s.ok && s.tools.length > 0);
  const kept = started.filter((s) => isPermissive(s.license));
  const items = kept.flatMap(itemsOf);
  writeSource(SOURCE, items);
  const row = (s: Captured) =>
    `| \`${s.package}\` | ${s.version} | ${s.license} | ${s.tools.length} | ${s.prompts.length} | ${s.resources.length} | ${isPermissive(s.license) ? 'yes' : 'no (names and counts only)'} |`;
  const tools = (list: Captured[]) => list.reduce((n, s) => n + s.tools.length, 0);
  const doc = [
    '# npm-mcp-servers: tool lists of real MCP servers from npm (benign)',
    '',
    'What real servers list, for measuring false positives: each package was installed from the npm registry with',
    "`npm install --ignore-scripts` into a scratch folder outside the repository, started inside toolgate's own",
    'bubblewrap sandbox (no network, read-only host; `scripts/data/capture-npm-tools.ts`) with dummy credentials',
    '(`scripts/data/capture-env.ts`), sent `initialize`, `tools/list`, `prompts/list` and `resources/list` only (no tool',
    'was called), and its lists recorded as sent. `scripts/data/npm-servers.ts` wrote `items.jsonl`: one benign line per',
    'tool (`definition`), prompt, resource and non-empty `initialize` instructions, with package, version and licence in',
    '`meta`.',
    '',
    `- Servers that started and listed tools: ${started.length}; tool definitions: ${tools(started)}.`,
    `- Committed (licence permits redistribution: MIT, Apache-2.0, BSD, ISC): ${kept.length} servers, ${tools(kept)} tools, ${items.length} lines in all.`,
    "- The descriptions are the packages' own text, under each package's licence (below).",
    '- Servers already in `../shared/datasets/benign-npm-mcp-tools` (the ten `@modelcontextprotocol/server-*` of that set) were left out.',
    '- Servers differ widely in size (one lists 198 tools, many list one or two): weigh false positives per server as well as per tool.',
    '- Dummy credentials only: a few servers may list fewer tools than with a real account.',
    '',
    '| package | version | licence | tools | prompts | resources | committed |',
    '|---|---|---|---|---|---|---|',
    ...started.map(row),
    '',
    '## Did not start or listed nothing (not in the corpus)',
    '',
    '| package | version | why |',
    '|---|---|---|',
    ...servers
      .filter((s) => !(s.ok && s.tools.length > 0))
      .map(
        (s) =>
          `| \`${s.package}\` | ${s.version} | ${(s.ok ? 'listed no tools' : (s.error ?? '')).split('\n')[0]?.replace(/\|/g, '/').slice(0, 120)} |`,
      ),
    '',
  ].join('\n');
  writeFileSync(join(DATA, SOURCE, 'SOURCE.md'), doc);
};

main();
