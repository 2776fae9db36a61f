// Captures what real MCP servers from npm list (tools, prompts, resources, instructions), each started
// inside toolgate's own bubblewrap sandbox (no network, read-only host), for the benign detection corpus.
// Only initialize and the list methods are sent; no tool is called. The raw lists are kept as the
// servers sent them: toolgate's own strict result checks would drop servers whose schemas are merely
// old-fashioned, and the corpus is meant to show what real servers send.
//
//   npx jiti scripts/data/capture-npm-tools.ts PKGS_DIR OUT.json [package ...]
//
// PKGS_DIR holds one folder per package, made by `npm install --ignore-scripts <pkg>` in
// PKGS_DIR/<pkg with / and @ as _>. Credentials are dummy values; servers that do not answer within
// the timeout are recorded as failed.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dummyEnvironment, extraArguments } from './capture-env.js';
import { deadline, initialize, startSandboxed } from './sandboxed-session.js';

const TIMEOUT_MS = 15_000;
const MAX_PAGES = 20;

interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly license?: unknown;
  readonly bin?: string | Record<string, string>;
  readonly main?: string;
}

export interface Captured {
  readonly package: string;
  readonly version: string;
  readonly license: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly serverInfo?: unknown;
  readonly instructions?: string;
  readonly tools: unknown[];
  readonly prompts: unknown[];
  readonly resources: unknown[];
}

const folderOf = (pkg: string) => pkg.replaceAll('/', '_').replaceAll('@', '_');

const licenseOf = (pj: PackageJson): string => {
  if (typeof pj.license === 'string') return pj.license;
  if (pj.license && typeof pj.license === 'object' && 'type' in pj.license)
    return String(pj.license.type);
  return 'UNKNOWN';
};

/** The script the package's `bin` (the one named like an MCP server, else the first) runs. */
const entryOf = (root: string, pj: PackageJson): string => {
  let bin = pj.bin;
  if (bin !== undefined && typeof bin === 'object') {
    const names = Object.keys(bin);
    const name = names.find((n) => /mcp|server/i.test(n)) ?? names[0];
    bin = name === undefined ? undefined : bin[name];
  }
  return join(root, bin ?? pj.main ?? 'index.js');
};

const listAll = async (
  request: (method: string, params: Record<string, unknown>) => Promise<Record<string, unknown>>,
  method: string,
  field: string,
): Promise<unknown[]> => {
  const items: unknown[] = [];
  let cursor: unknown;
  for (let page = 0; page < MAX_PAGES; page++) {
    const reply = await request(method, cursor === undefined ? {} : { cursor });
    const result = reply['result'] as Record<string, unknown> | undefined;
    const list = result?.[field];
    if (!Array.isArray(list)) break;
    items.push(...(list as unknown[]));
    cursor = result?.['nextCursor'];
    if (typeof cursor !== 'string' || cursor === '') break;
  }
  return items;
};

const captureOne = async (pkgsDir: string, pkg: string): Promise<Captured> => {
  const dir = join(pkgsDir, folderOf(pkg));
  const root = join(dir, 'node_modules', pkg);
  const pj = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
  const base = {
    package: pkg,
    version: pj.version,
    license: licenseOf(pj),
    tools: [],
    prompts: [],
    resources: [],
  };
  const session = await startSandboxed({
    args: [entryOf(root, pj), ...extraArguments(pkg)],
    env: dummyEnvironment(),
  });
  const run = async (): Promise<Captured> => {
    const result = await initialize(session);
    const caps = (result['capabilities'] ?? {}) as Record<string, unknown>;
    const instructions = result['instructions'];
    const list = (method: string, field: string, on: unknown) =>
      on ? listAll((m, p) => session.request(m, p), method, field) : Promise.resolve([]);
    return {
      ...base,
      ok: true,
      serverInfo: result['serverInfo'],
      ...(typeof instructions === 'string' && { instructions }),
      tools: await list('tools/list', 'tools', caps['tools']),
      prompts: await list('prompts/list', 'prompts', caps['prompts']),
      resources: await list('resources/list', 'resources', caps['resources']),
    };
  };
  const timeout = deadline(TIMEOUT_MS, session);
  try {
    return await Promise.race([run(), session.exited, timeout.expired]);
  } catch (error) {
    return { ...base, ok: false, error: (error as Error).message };
  } finally {
    timeout.cancel();
    await session.close();
  }
};

const main = async () => {
  const [pkgsDir, out, ...named] = process.argv.slice(2);
  if (pkgsDir === undefined || out === undefined) {
    process.stderr.write('usage: capture-npm-tools.ts PKGS_DIR OUT.json [package ...]\n');
    process.exit(2);
  }
  const packages =
    named.length > 0
      ? named
      : readdirSync(pkgsDir)
          .filter((d) => existsSync(join(pkgsDir, d, '.done')))
          .map((d) => {
            const pj = JSON.parse(readFileSync(join(pkgsDir, d, 'package.json'), 'utf8')) as {
              dependencies?: Record<string, string>;
            };
            return Object.keys(pj.dependencies ?? {})[0] ?? d;
          });
  const results: Captured[] = [];
  for (const pkg of packages) {
    const captured = await captureOne(pkgsDir, pkg).catch((error: unknown): Captured => ({
      package: pkg,
      version: '?',
      license: 'UNKNOWN',
      ok: false,
      error: (error as Error).message,
      tools: [],
      prompts: [],
      resources: [],
    }));
    process.stderr.write(
      `${pkg}: ${captured.ok ? `${captured.tools.length} tools` : `FAILED ${captured.error}`}\n`,
    );
    results.push(captured);
  }
  writeFileSync(out, JSON.stringify(results, null, 1) + '\n');
};

await main();
