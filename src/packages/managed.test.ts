import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { isStdioServer, type ServerConfig } from '../config/schema.js';
import type { LockPackage } from '../pins/lock.js';
import { assertInstalledMatchesLock } from './check-installed.js';
import { hashTree, hashTreeFiles, sortedRecord, treeDigest } from './fingerprint.js';
import { spawnedAs } from './managed.js';
import { defaultStateDir, defaultStoreRoot } from './places.js';
import { storeEntryDir } from './store.js';

const server = (doc: Record<string, unknown>): ServerConfig => {
  const s = parseConfig({ servers: { s: doc } }).servers['s'];
  if (!s) throw new Error('no server');
  return s;
};

/** A store entry laid out as `installToStore` leaves it, for `p@1.2.3` and one dependency. */
const storeEntry = async () => {
  const root = mkdtempSync(join(tmpdir(), 'toolgate-store-'));
  const work = join(root, 'work');
  const files = {
    'node_modules/p/package.json': '{"name":"p","version":"1.2.3","bin":{"p":"cli.js"}}',
    'node_modules/p/cli.js': 'import "dep";',
    'node_modules/dep/index.js': 'export {};',
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), text);
  }
  const packageFiles = await hashTreeFiles(join(work, 'node_modules/p'));
  const integrity = 'sha512-AAAA';
  const dependencies = await hashTree(join(work, 'node_modules'), true);
  const locked: LockPackage = {
    kind: 'npm',
    name: 'p',
    version: '1.2.3',
    spec: 'p@1.2.3',
    launcher: 'store',
    integrity,
    bin: 'cli.js',
    tree: treeDigest(packageFiles),
    files: sortedRecord(packageFiles),
    dependencies,
    provenance: 'absent',
  };
  const entry = storeEntryDir(root, { name: 'p', version: '1.2.3', integrity, dependencies });
  renameSync(work, entry);
  const configured = server({ command: 'npx', args: ['-y', 'p@1.2.3', '--flag', 'x'] });
  const spawned = spawnedAs('s', configured, locked, root);
  const check = () => assertInstalledMatchesLock('s', spawned, locked, '/w');
  return { root, entry, locked, configured, spawned, check };
};

describe('when an npx server is started from the package store', () => {
  it('[PKG-8] runs node on the locked bin in its store entry, with the rest of the arguments and a state folder', async () => {
    const { entry, spawned, check } = await storeEntry();
    if (!isStdioServer(spawned)) throw new Error('not stdio');
    expect(spawned.command).toBe(process.execPath);
    expect(spawned.args).toEqual([join(entry, 'node_modules/p/cli.js'), '--flag', 'x']);
    expect(spawned.stateDir).toMatch(/toolgate\/s$/);
    await expect(check()).resolves.toBeUndefined();
  });

  it('[PKG-8] refuses a changed file of the package or of a dependency, and a missing entry', async () => {
    const first = await storeEntry();
    chmodSync(join(first.entry, 'node_modules/p/cli.js'), 0o644);
    writeFileSync(join(first.entry, 'node_modules/p/cli.js'), 'steal();');
    await expect(first.check()).rejects.toMatchObject({
      code: 'PACKAGE_TAMPERED',
      message: expect.stringContaining('cli.js') as string,
    });
    const second = await storeEntry();
    writeFileSync(join(second.entry, 'node_modules/dep/index.js'), 'steal();');
    await expect(second.check()).rejects.toMatchObject({
      code: 'PACKAGE_TAMPERED',
      message: expect.stringContaining('dependencies') as string,
    });
    rmSync(second.entry, { recursive: true });
    await expect(second.check()).rejects.toMatchObject({ code: 'PACKAGE_NOT_INSTALLED' });
  });

  it('[PKG-7] leaves a spec that names another version as configured, which the check refuses', async () => {
    const { locked, root } = await storeEntry();
    const other = server({ command: 'npx', args: ['-y', 'p@1.2.4'] });
    const spawned = spawnedAs('s', other, locked, root);
    expect(spawned).toBe(other);
    await expect(assertInstalledMatchesLock('s', spawned, locked, '/w')).rejects.toMatchObject({
      code: 'PACKAGE_TAMPERED',
    });
    // A lock entry pointing at another store entry (edited dependencies hash) is refused too.
    const edited = { ...locked, dependencies: 'f'.repeat(64) };
    const moved = spawnedAs('s', server({ command: 'npx', args: ['-y', 'p@1.2.3'] }), edited, root);
    await expect(assertInstalledMatchesLock('s', moved, locked, '/w')).rejects.toMatchObject({
      code: 'PACKAGE_TAMPERED',
    });
  });

  it('runs an unpinned spec resolved by --allow-unpinned as the locked version, npm exec alike', async () => {
    const { locked, root, entry } = await storeEntry();
    for (const args of [
      ['-y', 'p'],
      ['exec', '--yes', '--package=p@latest', '--', 'p', 'a'],
    ]) {
      const spawned = spawnedAs(
        's',
        server({ command: args[0] === 'exec' ? 'npm' : 'npx', args }),
        locked,
        root,
      );
      expect(isStdioServer(spawned) && spawned.args[0]).toBe(join(entry, 'node_modules/p/cli.js'));
    }
  });
});

describe('when the store and state folders are not configured', () => {
  it('uses the XDG folders, and system folders for root (whose home the sandbox uid cannot enter)', () => {
    expect(defaultStoreRoot({}, 1000, '/home/u')).toBe('/home/u/.cache/toolgate/packages');
    expect(defaultStoreRoot({ XDG_CACHE_HOME: '/c' }, 0, '/root')).toBe('/c/toolgate/packages');
    expect(defaultStoreRoot({}, 0, '/root')).toBe('/var/cache/toolgate/packages');
    expect(defaultStateDir('m', {}, 1000, '/home/u')).toBe('/home/u/.local/state/toolgate/m');
    expect(defaultStateDir('m', { XDG_STATE_HOME: '/s' }, 1000, '/h')).toBe('/s/toolgate/m');
    expect(defaultStateDir('m', {}, 0, '/root')).toBe('/var/lib/toolgate/m');
  });
});
