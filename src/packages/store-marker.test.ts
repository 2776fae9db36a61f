import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMarkedVerified, markVerified, takeStatState } from './store-marker.js';

const SETTLED_MS = 20;

/** A store entry's node_modules with a package and a dependency, as lock leaves it. */
const entry = () => {
  const root = mkdtempSync(join(tmpdir(), 'toolgate-store-'));
  const nodeModules = join(root, 'pkg@1.0.0-aaaa-bbbb', 'node_modules');
  for (const [path, text] of Object.entries({
    'pkg/package.json': '{"name":"pkg"}',
    'pkg/index.js': 'console.log(1)',
    'dep/index.js': 'module.exports = 1',
  })) {
    mkdirSync(join(nodeModules, path, '..'), { recursive: true });
    writeFileSync(join(nodeModules, path), text);
  }
  return { root, nodeModules };
};

/** Newest ctime of the tree, in ms. */
const newestChange = (dir: string): number =>
  Math.max(
    statSync(dir).ctimeMs,
    ...readdirSync(dir, { recursive: true }).map((p) => lstatSync(join(dir, String(p))).ctimeMs),
  );

/** Resolves once every file of `dir` changed longer than SETTLED_MS ago (the marker's condition). */
const settled = async (dir: string): Promise<void> => {
  const since = newestChange(dir) + SETTLED_MS + 5;
  while (Date.now() <= since) await new Promise((r) => setTimeout(r, since - Date.now() + 1));
};

/** Verified once: the marker written as the store check writes it after a full hash. */
const marked = async () => {
  const e = entry();
  await settled(e.nodeModules);
  const before = await takeStatState(e.nodeModules);
  await markVerified(e.nodeModules, 'locked-hashes', before, SETTLED_MS);
  await settled(e.nodeModules);
  return e;
};

describe('when a store entry has hashed as locked', () => {
  it('[PKG-8] is recognised by lstat alone while nothing in it changes', async () => {
    const { root, nodeModules } = await marked();
    expect(await isMarkedVerified(nodeModules, 'locked-hashes')).toBe(true);
    // The key and markers are the store owner's only: the sandbox's uid cannot read or forge them.
    expect(statSync(join(root, '.verified')).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, '.verified', 'key')).mode & 0o777).toBe(0o600);
    // Verified against other hashes (an edited lock), the marker does not apply.
    expect(await isMarkedVerified(nodeModules, 'other-hashes')).toBe(false);
  });

  it('[PKG-8] misses after a same-size rewrite whose mtime was set back', async () => {
    const { nodeModules } = await marked();
    const file = join(nodeModules, 'dep/index.js');
    const { atime, mtime } = statSync(file);
    writeFileSync(file, 'module.exports = 2');
    utimesSync(file, atime, mtime);
    expect(await isMarkedVerified(nodeModules, 'locked-hashes')).toBe(false);
  });

  it('[PKG-8] misses after an added, a removed or a re-moded file', async () => {
    const added = await marked();
    writeFileSync(join(added.nodeModules, 'dep/extra.js'), '');
    expect(await isMarkedVerified(added.nodeModules, 'locked-hashes')).toBe(false);
    const removed = await marked();
    rmSync(join(removed.nodeModules, 'pkg/index.js'));
    expect(await isMarkedVerified(removed.nodeModules, 'locked-hashes')).toBe(false);
    const moded = await marked();
    chmodSync(join(moded.nodeModules, 'pkg/index.js'), 0o755);
    expect(await isMarkedVerified(moded.nodeModules, 'locked-hashes')).toBe(false);
  });

  it('[PKG-8] misses when the key was replaced, so a marker cannot be carried to another store', async () => {
    const { root, nodeModules } = await marked();
    writeFileSync(join(root, '.verified', 'key'), Buffer.alloc(32, 7));
    expect(await isMarkedVerified(nodeModules, 'locked-hashes')).toBe(false);
  });
});

describe('when a store entry is not settled', () => {
  it('[PKG-8] writes no marker for an entry that changed while it was hashed', async () => {
    const { root, nodeModules } = entry();
    await settled(nodeModules);
    const before = await takeStatState(nodeModules);
    writeFileSync(join(nodeModules, 'pkg/index.js'), 'console.log(2)');
    await markVerified(nodeModules, 'locked-hashes', before, SETTLED_MS);
    expect(existsSync(join(root, '.verified'))).toBe(false);
  });

  it('[PKG-8] writes no marker for files changed within the last clock ticks', async () => {
    const { root, nodeModules } = entry();
    await markVerified(nodeModules, 'locked-hashes', await takeStatState(nodeModules));
    expect(existsSync(join(root, '.verified'))).toBe(false);
    expect(await isMarkedVerified(nodeModules, 'locked-hashes')).toBe(false);
  });

  it('[PKG-8] reports a missing entry as not verified, not as an error', async () => {
    const { nodeModules } = await marked();
    rmSync(nodeModules, { recursive: true });
    expect(await isMarkedVerified(nodeModules, 'locked-hashes')).toBe(false);
    expect(await takeStatState(nodeModules)).toBeUndefined();
  });
});
