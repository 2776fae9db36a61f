import {
  chmodSync,
  chownSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  hashTree,
  hashTreeFiles,
  sortedRecord,
  treeDigest,
} from '../../src/packages/fingerprint.js';
import { runToolgate, startStdioGateway, type Running } from './harness.js';
import { NAME, packRelease, startNpmRegistry, type NpmRegistry } from './npm-registry-rig.js';
import { buildWheel, PIP_ISOLATED, startIndex, type PypiIndex } from './pypi-rig.js';

/**
 * PKG-15: a hostile toolgate.lock, as a pull request can bring one. The attacker controls the lock
 * and the repository it sits in, not the package store: each test locks a real server from a
 * loopback registry or index, plants its own server in the clone, and edits only lock fields that
 * become host paths at run (npm `bin` and `version`, pypi `python`), with every hash the lock carries
 * recomputed to match what it planted. `toolgate diff` then starts the server as `run` would
 * (spawnedAs, the before-spawn check, the sandbox): the planted code must never run. PKG-16: a store
 * another local user could change between the check and the start is refused.
 */

let gw: Running | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const PLANTED = 'Planted: runs from the repository, not from the package store.';

/** A clone readable by the sandbox's uid, as a CI checkout is, with the store beside it. */
const place = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `toolgate-${name}-`));
  chmodSync(dir, 0o755);
  const clone = join(dir, 'clone');
  mkdirSync(clone);
  const config = join(clone, 'toolgate.yaml');
  const lockPath = join(clone, 'toolgate.lock');
  const env = {
    ...PIP_ISOLATED,
    XDG_STATE_HOME: join(dir, 'state'),
    npm_config_cache: join(dir, 'npm-cache'),
    npm_config_userconfig: join(dir, 'no-user.npmrc'),
  };
  const toolgate = (args: string[]) =>
    runToolgate([...args, '--config', config], { cwd: clone, env, timeoutMs: 300_000 });
  type Entry = { package: Record<string, unknown> };
  const lockOf = () =>
    JSON.parse(readFileSync(lockPath, 'utf8')) as { servers: Record<string, Entry> };
  const writeLock = (lock: unknown) => writeFileSync(lockPath, JSON.stringify(lock, null, 2));
  return { dir, clone, store: join(dir, 'store'), env, config, toolgate, lockOf, writeLock };
};

/** `../` enough times to reach `/` from any store path, then `path`: what join() makes absolute. */
const upTo = (path: string) => `${'../'.repeat(40)}${path.slice(1)}`;

describe('[PKG-15] npm: a lock whose bin or version leads out of the store', () => {
  let registry: NpmRegistry;
  const p = place('hostile-npm');
  let integrity = '';

  /** A copy of the locked server under `parent/<entry>/node_modules/tinyrelease` whose tool says PLANTED, and its hashes. */
  const plant = async (parent: string, entryOf: (dependencies: string) => string) => {
    const [locked] = readdirSync(p.store).filter((n) => n.startsWith(`${NAME}@`));
    const work = join(parent, 'work');
    cpSync(join(p.store, locked as string, 'node_modules'), join(work, 'node_modules'), {
      recursive: true,
    });
    const script = join(work, 'node_modules', NAME, 'server.js');
    chmodSync(script, 0o755);
    const source = readFileSync(script, 'utf8');
    writeFileSync(script, source.replace('Says which build of the release answers.', PLANTED));
    const dependencies = await hashTree(join(work, 'node_modules'), true);
    const files = await hashTreeFiles(join(work, 'node_modules', NAME));
    const entry = join(parent, entryOf(dependencies));
    cpSync(work, entry, { recursive: true });
    return { entry, dependencies, tree: treeDigest(files), files: sortedRecord(files) };
  };
  const key = () => createHash('sha256').update(integrity).digest('hex').slice(0, 16);

  beforeAll(async () => {
    const release = packRelease('first build');
    integrity = release.integrity;
    registry = await startNpmRegistry(release);
    writeFileSync(join(p.clone, '.npmrc'), `registry=${registry.url}\n`);
    const spec = `${NAME}@1.0.0`;
    const servers = { tiny: { command: 'npx', args: ['-y', spec], tools: ['release'] } };
    writeFileSync(p.config, JSON.stringify({ lock: { store: p.store }, audit: false, servers }));
    const locked = await p.toolgate(['lock']);
    expect(locked.code, locked.stderr).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await registry.close();
  });

  it('[PKG-16] run refuses a store another user could change between the check and the start', async () => {
    const [name] = readdirSync(p.store).filter((n) => n.startsWith(`${NAME}@`));
    const entry = join(p.store, name as string);
    /** The gateway's stderr once the server's start ended, refused or not. */
    const start = async () => {
      gw = await startStdioGateway({}, { lock: { dir: p.clone }, env: p.env });
      const tools = (await gw.client.listTools()).tools.map((t) => t.name);
      const stderr = gw.stderr.join('\n');
      await gw.close();
      gw = undefined;
      return { tools, stderr };
    };
    chmodSync(p.store, 0o777); // any local user may rename entries and write markers here
    const open = await start();
    expect(open.tools).toEqual([]);
    expect(open.stderr).toContain('PACKAGE_STORE_UNSAFE');
    expect(open.stderr).toContain(`${p.store} is writable by other users`);
    chmodSync(p.store, 0o755);
    chownSync(entry, 65534, 65534); // an entry another uid made (and can swap out)
    const foreign = await start();
    expect(foreign.tools).toEqual([]);
    expect(foreign.stderr).toContain(`${entry} is owned by uid 65534`);
    chownSync(entry, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
    expect((await start()).tools).toEqual(['tiny__release']);
  });

  it('[PKG-15] refuses a bin that climbs out of the package to a planted copy named like the entry', async () => {
    const lock = p.lockOf();
    const planted = await plant(
      join(p.clone, 'vendor'),
      (deps) => `${NAME}@1.0.0-${key()}-${deps.slice(0, 16)}`,
    );
    const pkg = lock.servers['tiny']?.package ?? {};
    const { entry, ...hashes } = planted;
    Object.assign(pkg, hashes, { bin: upTo(join(entry, 'node_modules', NAME, 'server.js')) });
    p.writeLock(lock);
    const diff = await p.toolgate(['diff']);
    expect(`${diff.stdout}${diff.stderr}`).not.toContain('Planted');
    expect(diff.code).toBe(1);
    expect(diff.stderr).toContain('LOCK_INVALID');
    expect(diff.stderr).toContain('a relative path inside the package');
  });

  it('[PKG-15] refuses a version with a path (an unpinned spec lets the lock choose it)', async () => {
    const servers = {
      tiny: { command: 'npx', args: ['-y', `${NAME}@latest`], tools: ['release'] },
    };
    writeFileSync(p.config, JSON.stringify({ lock: { store: p.store }, audit: false, servers }));
    const relocked = await p.toolgate(['lock', '--allow-unpinned']);
    expect(relocked.code, relocked.stderr).toBe(0);
    const lock = p.lockOf();
    const planted = await plant(
      join(p.clone, 'vendor2'),
      (deps) => `x-${key()}-${deps.slice(0, 16)}`,
    );
    const pkg = lock.servers['tiny']?.package ?? {};
    const { entry, ...hashes } = planted;
    Object.assign(pkg, hashes, { version: `1.0.0/${upTo(join(p.clone, 'vendor2', 'x'))}` });
    p.writeLock(lock);
    const diff = await p.toolgate(['diff']);
    expect(`${diff.stdout}${diff.stderr}`).not.toContain('Planted');
    expect(diff.code).toBe(1);
    expect(diff.stderr).toContain('LOCK_INVALID');
    expect(entry).toContain(p.clone);
  });
});

describe('[PKG-15] pypi: a lock whose python is a planted binary', () => {
  let index: PypiIndex;
  const p = place('hostile-pypi');

  beforeAll(async () => {
    index = await startIndex();
    index.files.set(
      'tinyshout',
      new Map([['tinyshout-1.0.0-py3-none-any.whl', buildWheel('tinyshout')]]),
    );
    const mcp = buildWheel('tinymcp', {
      requires: 'tinyshout==1.0.0',
      script: 'tinymcp=tinymcp.server:main',
    });
    index.files.set('tinymcp', new Map([['tinymcp-1.0.0-py3-none-any.whl', mcp]]));
    const servers = { shouter: { command: 'uvx', args: ['tinymcp==1.0.0'], tools: ['shout'] } };
    const lock = { store: p.store, pythonIndex: index.url };
    writeFileSync(p.config, JSON.stringify({ lock, audit: false, servers }));
    const locked = await p.toolgate(['lock']);
    expect(locked.code, locked.stderr).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await index.close();
  });

  it('[PKG-15] refuses a lock that runs the locked console script with another interpreter', async () => {
    // The planted "python": a server of its own, whatever script it is handed.
    const bin = join(p.clone, 'tools', 'bin');
    mkdirSync(bin, { recursive: true });
    const server = [
      'import json, sys',
      'for line in sys.stdin:',
      '    m = json.loads(line)',
      "    if 'id' not in m: continue",
      "    p = m.get('params') or {}",
      "    r = {'protocolVersion': p.get('protocolVersion', '2025-06-18'), 'capabilities': {'tools': {}}, 'serverInfo': {'name': 'planted', 'version': '1'}}",
      "    if m.get('method') == 'tools/list': r = {'tools': [{'name': 'shout', 'description': " +
        JSON.stringify(PLANTED) +
        ", 'inputSchema': {'type': 'object'}}]}",
      "    print(json.dumps({'jsonrpc': '2.0', 'id': m['id'], 'result': r}), flush=True)",
    ].join('\n');
    writeFileSync(join(bin, 'planted.py'), `${server}\n`);
    writeFileSync(
      join(bin, 'python'),
      '#!/bin/sh\nexec /usr/bin/python3 "$(dirname "$0")/planted.py"\n',
      {
        mode: 0o755,
      },
    );
    const lock = p.lockOf();
    const pkg = lock.servers['shouter']?.package ?? {};
    pkg['python'] = join(bin, 'python');
    p.writeLock(lock);
    const diff = await p.toolgate(['diff']);
    expect(`${diff.stdout}${diff.stderr}`).not.toContain('Planted');
    expect(diff.code, diff.stdout).toBe(1);
    expect(diff.stdout).toContain('shouter PACKAGE CHANGED');
    expect(diff.stdout).toContain(`the interpreter ${join(bin, 'python')} (no default python3`);
  });
});
