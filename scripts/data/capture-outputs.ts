// Benign tool outputs for measuring false positives on results, not only on definitions: ordinary
// calls to the official filesystem, memory and everything servers, each started inside toolgate's
// sandbox, recorded as the servers answered them. The filesystem server reads real files of npm
// packages (their READMEs, package.json and code), the text an agent gets when it reads or fetches a
// package's docs; only packages under a licence that permits redistribution are read.
//
//   npx jiti scripts/data/capture-outputs.ts PKGS_DIR
//
// PKGS_DIR is the folder of installed packages that capture-npm-tools.ts reads.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DetectItem } from '../../bench/data/format.js';
import { REPO, writeSource } from './common.js';
import { isPermissive } from './licence.js';
import { deadline, initialize, startSandboxed, type Session } from './sandboxed-session.js';
import { MEMORY_CALLS, EVERYTHING_CALLS, type Call } from './output-calls.js';

const SOURCE = 'server-outputs';
const SERVERS = join(REPO, 'node_modules', '@modelcontextprotocol');
const CALL_TIMEOUT_MS = 20_000;

interface Recorded {
  readonly server: string;
  readonly call: Call;
  readonly result: Record<string, unknown>;
  readonly file?: { package: string; version: string; license: string };
}

/** Runs the calls in order against one sandboxed server; a call that errors is recorded as is. */
const runCalls = async (session: Session, server: string, calls: readonly Call[]) => {
  const out: Recorded[] = [];
  const timeout = deadline(CALL_TIMEOUT_MS * (calls.length + 1), session);
  try {
    await Promise.race([initialize(session), session.exited, timeout.expired]);
    for (const call of calls) {
      const reply = await Promise.race([
        session.request('tools/call', { name: call.tool, arguments: call.arguments }),
        session.exited,
        timeout.expired,
      ]);
      const result = reply['result'];
      if (typeof result === 'object' && result !== null)
        out.push({ server, call, result: result as Record<string, unknown> });
    }
  } finally {
    timeout.cancel();
    await session.close();
  }
  return out;
};

interface PackageFile {
  readonly path: string;
  readonly package: string;
  readonly version: string;
  readonly license: string;
}

/** README, package.json and the entry script of each installed top-level package. */
const packageFiles = (pkgsDir: string): PackageFile[] =>
  readdirSync(pkgsDir)
    .filter((d) => existsSync(join(pkgsDir, d, '.done')))
    .flatMap((d) => {
      const manifest = JSON.parse(readFileSync(join(pkgsDir, d, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      const name = Object.keys(manifest.dependencies ?? {})[0];
      if (name === undefined) return [];
      const root = join(pkgsDir, d, 'node_modules', name);
      const pj = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
        version: string;
        license?: unknown;
        main?: string;
      };
      const license = typeof pj.license === 'string' ? pj.license : 'UNKNOWN';
      if (!isPermissive(license)) return [];
      const readme = readdirSync(root).find((f) => /^readme(\.md)?$/i.test(f));
      // A bundled entry script is one minified line of little use as text; READMEs are kept whole.
      const paths = [readme, 'package.json', pj.main].filter(
        (p): p is string =>
          p !== undefined &&
          existsSync(join(root, p)) &&
          statSync(join(root, p)).size <= (p === pj.main ? 32 : 128) * 1024,
      );
      return paths.map((p) => ({
        path: join(root, p),
        package: name,
        version: pj.version,
        license,
      }));
    });

const toItems = (recorded: readonly Recorded[]): DetectItem[] =>
  recorded.map((r, n) => ({
    id: `${SOURCE}-${r.server}-${n}`,
    source: SOURCE,
    surface: 'output',
    label: 'benign',
    item: { ...r.result, content: r.result['content'] as [{ type: string }] },
    meta: {
      server: r.server,
      tool: r.call.tool,
      arguments: r.call.arguments,
      ...(r.file && { file: r.file }),
    },
  }));

const main = async () => {
  const pkgsDir = process.argv[2];
  if (pkgsDir === undefined) throw new Error('usage: capture-outputs.ts PKGS_DIR');
  const files = packageFiles(pkgsDir);
  const fsCalls: Call[] = [
    { tool: 'list_allowed_directories', arguments: {} },
    ...[...new Set(files.map((f) => join(f.path, '..')))].map((dir) => ({
      tool: 'list_directory',
      arguments: { path: dir },
    })),
    ...files.map((f) => ({
      tool: 'read_text_file',
      arguments: f.path.endsWith('.js') ? { path: f.path, head: 120 } : { path: f.path },
    })),
  ];
  const fsRecorded = await runCalls(
    await startSandboxed({
      args: [join(SERVERS, 'server-filesystem/dist/index.js'), pkgsDir],
      env: {},
      readOnly: [pkgsDir],
    }),
    'filesystem',
    fsCalls,
  );
  const byPath = new Map(files.map((f) => [f.path, f]));
  const withFiles = fsRecorded.map((r) => {
    const file = byPath.get(String(r.call.arguments['path']));
    return file === undefined
      ? r
      : { ...r, file: { package: file.package, version: file.version, license: file.license } };
  });
  const memory = await runCalls(
    await startSandboxed({
      args: [join(SERVERS, 'server-memory/dist/index.js')],
      env: { MEMORY_FILE_PATH: '/tmp/memory.jsonl' },
    }),
    'memory',
    MEMORY_CALLS,
  );
  const everything = await runCalls(
    await startSandboxed({
      args: [join(SERVERS, 'server-everything/dist/index.js'), 'stdio'],
      env: {},
    }),
    'everything',
    EVERYTHING_CALLS,
  );
  const recorded = [...withFiles, ...memory, ...everything].filter(
    (r) => Array.isArray(r.result['content']) && (r.result['content'] as unknown[]).length > 0,
  );
  writeSource(SOURCE, toItems(recorded));
  for (const server of ['filesystem', 'memory', 'everything'])
    process.stderr.write(
      `${server}: ${recorded.filter((r) => r.server === server).length} outputs\n`,
    );
};

await main();
