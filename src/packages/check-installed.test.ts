import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { ServerConfig } from '../config/schema.js';
import type { LockPackage } from '../pins/lock.js';
import { assertInstalledMatchesLock } from './check-installed.js';
import { hashFile, hashTree, hashTreeFiles } from './fingerprint.js';
import { scriptGraph } from './script-graph.js';

const server = (doc: Record<string, unknown>): ServerConfig => {
  const s = parseConfig({ servers: { s: doc } }).servers['s'];
  if (!s) throw new Error('no server');
  return s;
};
const folder = (files: Record<string, string>): string => {
  const root = mkdtempSync(join(tmpdir(), 'toolgate-installed-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
};

describe('when a script server is about to start', () => {
  const setup = async () => {
    const root = folder({ 'main.js': "import './util.js';", 'util.js': 'export {};' });
    const graph = await scriptGraph(join(root, 'main.js'));
    const locked: LockPackage = {
      kind: 'file',
      role: 'script',
      path: join(root, 'main.js'),
      sha256: await hashFile(join(root, 'main.js')),
      modules: graph.modules,
      packages: graph.packages,
    };
    const check = () =>
      assertInstalledMatchesLock('s', server({ command: 'node', args: ['main.js'] }), locked, root);
    return { root, check };
  };

  it('[PKG-9] starts it when the script and what it loads are as locked', async () => {
    const { check } = await setup();
    await expect(check()).resolves.toBeUndefined();
  });

  it('[PKG-5] refuses a changed script with PACKAGE_TAMPERED', async () => {
    const { root, check } = await setup();
    writeFileSync(join(root, 'main.js'), "import './util.js'; // changed");
    await expect(check()).rejects.toMatchObject({ code: 'PACKAGE_TAMPERED' });
  });

  it('[PKG-9] refuses a changed module the script loads, naming it', async () => {
    const { root, check } = await setup();
    writeFileSync(join(root, 'util.js'), 'export const evil = 1;');
    await expect(check()).rejects.toMatchObject({
      code: 'PACKAGE_TAMPERED',
      message: expect.stringContaining(join(root, 'util.js')) as string,
    });
  });

  it('[PKG-7] refuses another executable than the locked one', async () => {
    const { root } = await setup();
    const locked: LockPackage = {
      kind: 'file',
      role: 'script',
      path: join(root, 'other.js'),
      sha256: '0'.repeat(64),
    };
    await expect(
      assertInstalledMatchesLock('s', server({ command: 'node', args: ['main.js'] }), locked, root),
    ).rejects.toMatchObject({ code: 'PACKAGE_TAMPERED' });
  });
});

describe('when an installed npm package is about to start', () => {
  const setup = async () => {
    const root = folder({
      'node_modules/p/package.json': '{"name":"p","version":"1.2.3"}',
      'node_modules/p/index.js': 'export {};',
    });
    const installPath = join(root, 'node_modules/p');
    const locked: LockPackage = {
      kind: 'npm',
      name: 'p',
      version: '1.2.3',
      spec: 'p@1.2.3',
      launcher: 'node_modules',
      installPath,
      tree: await hashTree(installPath),
      files: Object.fromEntries(await hashTreeFiles(installPath)),
      provenance: 'absent',
    };
    const check = (lock: LockPackage = locked) =>
      assertInstalledMatchesLock(
        's',
        server({ command: 'node', args: ['node_modules/p/index.js'] }),
        lock,
        root,
      );
    return { installPath, locked, check };
  };

  it('[PKG-5] starts it when every file is as locked', async () => {
    const { check } = await setup();
    await expect(check()).resolves.toBeUndefined();
  });

  it('[PKG-5] refuses a tampered file, naming the first one that differs', async () => {
    const { installPath, check } = await setup();
    writeFileSync(join(installPath, 'index.js'), 'steal();');
    await expect(check()).rejects.toMatchObject({
      code: 'PACKAGE_TAMPERED',
      message: expect.stringContaining(join(installPath, 'index.js')) as string,
    });
  });

  it('[PKG-7] refuses a lock entry edited to another version or package', async () => {
    const { locked, check } = await setup();
    await expect(check({ ...locked, version: '1.2.4' })).rejects.toMatchObject({
      code: 'PACKAGE_TAMPERED',
    });
    await expect(check({ ...locked, name: 'q' })).rejects.toMatchObject({
      code: 'PACKAGE_TAMPERED',
    });
  });

  it('[PKG-7] refuses an npx spec other than the locked package or version', async () => {
    const { locked } = await setup();
    const npx = (spec: string) =>
      assertInstalledMatchesLock(
        's',
        server({ command: 'npx', args: ['-y', spec] }),
        { ...locked, launcher: 'store' },
        '/w',
      );
    // The locked spec, not started from the store (the lock names no entry): not installed.
    await expect(npx('p@1.2.3')).rejects.toMatchObject({ code: 'PACKAGE_NOT_INSTALLED' });
    await expect(npx('p@1.2.4')).rejects.toMatchObject({ code: 'PACKAGE_TAMPERED' });
    await expect(npx('q@1.2.3')).rejects.toMatchObject({ code: 'PACKAGE_TAMPERED' });
  });
});

describe('when the kind of server changed since the lock', () => {
  it('[PKG-7] refuses a remote lock entry for a local server', async () => {
    await expect(
      assertInstalledMatchesLock(
        's',
        server({ command: 'node', args: ['x.js'] }),
        { kind: 'remote', url: 'https://x.example/mcp' },
        '/w',
      ),
    ).rejects.toMatchObject({ code: 'PACKAGE_TAMPERED' });
    await expect(
      assertInstalledMatchesLock(
        's',
        server({ url: 'https://x.example/mcp' }),
        { kind: 'remote', url: 'https://x.example/mcp' },
        '/w',
      ),
    ).resolves.toBeUndefined();
  });
});
