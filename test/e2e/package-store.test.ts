import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, runToolgate, startStdioGateway, type Running } from './harness.js';

/**
 * The managed package store with real npm servers from the registry: `toolgate lock` installs each
 * `npx` server into the store, `run` starts it from there in the default sandbox. The clone (config,
 * lock, data) lives under a 0700 folder, as under root's home: only the store and the state folders
 * are where the sandbox's own uid may pass.
 */

let gw: Running | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const EVERYTHING = '@modelcontextprotocol/server-everything@2026.8.31';
const MEMORY = '@modelcontextprotocol/server-memory@2026.8.31';
const FILESYSTEM = '@modelcontextprotocol/server-filesystem@2026.8.31';

interface StoreLock {
  servers: Record<string, { package: { launcher: string; installPath?: string; bin: string } }>;
}

const rig = () => {
  const home = mkdtempSync(join(tmpdir(), 'toolgate-home-')); // 0700, like /root
  const clone = join(home, 'clone');
  mkdirSync(join(clone, 'private'), { recursive: true });
  const shared = mkdtempSync(join(tmpdir(), 'toolgate-shared-'));
  chmodSync(shared, 0o755);
  const data = join(shared, 'data');
  mkdirSync(data);
  writeFileSync(join(data, 'notes.txt'), 'hello from the shared folder\n');
  const env = { XDG_STATE_HOME: join(shared, 'state') };
  const config = join(clone, 'toolgate.yaml');
  // The README's shape: npx specs, default sandbox; data through the state folder.
  writeFileSync(
    config,
    JSON.stringify({
      lock: { store: join(shared, 'store') },
      audit: false,
      servers: {
        everything: { command: 'npx', args: ['-y', EVERYTHING], tools: ['echo'] },
        memory: {
          command: 'npx',
          args: ['-y', MEMORY],
          env: { MEMORY_FILE_PATH: '${TOOLGATE_STATE_DIR}/memory.jsonl' },
          tools: ['create_entities', 'read_graph'],
        },
        // No MEMORY_FILE_PATH: it tries to write into its own package, which is read-only.
        scratch: { command: 'npx', args: ['-y', MEMORY], tools: ['create_entities'] },
        files: {
          command: 'npm',
          args: ['exec', '--yes', '--', FILESYSTEM, data],
          tools: ['read_text_file'],
          sandbox: { readOnly: [data] },
        },
        // Data under the 0700 folder: its sandbox uid cannot reach it, and lock says so.
        private: {
          command: 'npx',
          args: ['-y', FILESYSTEM, join(clone, 'private')],
          tools: ['list_directory'],
          sandbox: { readOnly: [join(clone, 'private')] },
        },
      },
    }),
  );
  const toolgate = (args: string[], cwd: string) =>
    runToolgate([...args, '--config', config], { cwd, env, timeoutMs: 800_000 });
  const lockOf = () => JSON.parse(readFileSync(join(clone, 'toolgate.lock'), 'utf8')) as StoreLock;
  const start = () => startStdioGateway({}, { lock: { dir: clone }, env });
  return { home, clone, data, shared, env, toolgate, lockOf, start };
};

const text = (result: unknown): string =>
  JSON.stringify((result as { content?: unknown }).content ?? result);

describe('npx servers installed into the package store by lock, run from it sandboxed', () => {
  // One lock of every server, shared: installing a server's whole tree is most of this file's time.
  // The first test reads the store as locked; the second, last, tampers with it.
  let r: ReturnType<typeof rig>;
  let locked: Awaited<ReturnType<ReturnType<typeof rig>['toolgate']>>;
  beforeAll(async () => {
    r = rig();
    locked = await r.toolgate(['lock'], r.clone);
  }, 900_000);

  it('[PKG-11][SBX-17] lock → run round trip as root under a 0700 folder; state folder writable, package read-only; the lock does not depend on the cwd', async () => {
    expect(statSync(r.home).mode & 0o777).toBe(0o700);
    expect(locked.code, locked.stderr).toBe(1);
    expect(locked.stderr).toMatch(/private +FAILED +SANDBOX_UNREACHABLE/);
    expect(locked.stderr).toContain(`${r.home} is mode 0700`);
    const lock = r.lockOf();
    expect(lock.servers['private']).toBeUndefined();
    for (const id of ['everything', 'memory', 'scratch', 'files']) {
      expect(lock.servers[id]?.package).toMatchObject({ launcher: 'store' });
      expect(lock.servers[id]?.package.installPath).toBeUndefined();
    }
    // Locked again from another working directory: the same bytes.
    const before = readFileSync(join(r.clone, 'toolgate.lock'));
    const again = await r.toolgate(['lock', 'memory'], '/');
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(join(r.clone, 'toolgate.lock')).equals(before)).toBe(true);

    gw = await r.start();
    const names = (await gw.client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual([
      'everything__echo',
      'files__read_text_file',
      'memory__create_entities',
      'memory__read_graph',
      'scratch__create_entities',
    ]);
    const echo = await gw.client.callTool({
      name: 'everything__echo',
      arguments: { message: 'hi' },
    });
    expect(text(echo)).toContain('hi');
    const read = await gw.client.callTool({
      name: 'files__read_text_file',
      arguments: { path: join(r.data, 'notes.txt') },
    });
    expect(text(read)).toContain('hello from the shared folder');
    const entity = { name: 'toolgate', entityType: 'project', observations: ['stores packages'] };
    await gw.client.callTool({
      name: 'memory__create_entities',
      arguments: { entities: [entity] },
    });
    const stateFile = join(r.env.XDG_STATE_HOME, 'toolgate/memory/memory.jsonl');
    expect(readFileSync(stateFile, 'utf8')).toContain('stores packages');
    // Its state folder belongs to the server's own sandbox uid, not to root.
    expect(statSync(join(r.env.XDG_STATE_HOME, 'toolgate/memory')).uid).not.toBe(0);
    // The package is read-only in the sandbox: the write into it fails, and nothing changes there.
    const refused = await gw.client
      .callTool({ name: 'scratch__create_entities', arguments: { entities: [entity] } })
      .then(text, (error: Error) => error.message);
    expect(refused).toMatch(/EROFS|read-only/);
    await gw.close();

    // So the next start finds the store as locked: no PACKAGE_TAMPERED.
    gw = await r.start();
    const graph = await gw.client.callTool({ name: 'memory__read_graph', arguments: {} });
    expect(text(graph)).toContain('stores packages');
    expect(gw.stderr.join('\n')).not.toContain('PACKAGE_TAMPERED');
  }, 900_000);

  it('[PKG-8] a changed file of a stored package or of a dependency refuses the start, after starts that checked it by its marker; a missing entry is reinstalled by lock', async () => {
    const store = join(r.shared, 'store');
    const [entryName] = readdirSync(store).filter((n) => n.includes('server-memory'));
    const entry = join(store, entryName as string);
    // The starts of the round trip hashed the entry once and marked it: the next start checks it by lstat.
    expect(existsSync(join(store, '.verified', entryName as string))).toBe(true);
    const pkg = join(entry, 'node_modules/@modelcontextprotocol/server-memory');
    const bin = join(pkg, r.lockOf().servers['memory']?.package.bin as string);
    const original = readFileSync(bin);
    chmodSync(bin, 0o644);
    appendFileSync(bin, '\n// backdoor\n');
    gw = await r.start();
    await eventually(() => gw?.stderr.some((l) => l.includes('PACKAGE_TAMPERED')) ?? false, 60_000);
    expect(gw.stderr.join('\n')).toContain(`first difference: ${bin}`);
    // memory and scratch run from this entry: neither starts; the other servers do.
    expect((await gw.client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'everything__echo',
      'files__read_text_file',
    ]);
    await gw.close();
    writeFileSync(bin, original);

    // A dependency (the MCP SDK it imports) changed: refused too.
    const dependency = join(entry, 'node_modules/@modelcontextprotocol/sdk/package.json');
    const manifest = readFileSync(dependency);
    chmodSync(dependency, 0o644);
    writeFileSync(
      dependency,
      manifest.toString().replace('"description"', '"x": 1, "description"'),
    );
    gw = await r.start();
    await eventually(() => gw?.stderr.some((l) => l.includes('PACKAGE_TAMPERED')) ?? false, 60_000);
    expect(gw.stderr.join('\n')).toContain(
      'the dependencies of @modelcontextprotocol/server-memory',
    );
    await gw.close();

    // Gone from the store: not started, with the fix; lock installs it again, byte for byte.
    renameSync(entry, `${entry}.moved`);
    gw = await r.start();
    await eventually(
      () => gw?.stderr.some((l) => l.includes('PACKAGE_NOT_INSTALLED')) ?? false,
      60_000,
    );
    await gw.close();
    const relock = await r.toolgate(['lock', 'memory'], r.clone);
    expect(relock.code, relock.stderr).toBe(0);
    gw = await r.start();
    expect((await gw.client.listTools()).tools.map((t) => t.name)).toContain('memory__read_graph');
  }, 900_000);
});
