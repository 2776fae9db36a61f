import { basename, dirname, join } from 'node:path';
import { PackageError } from '../errors.js';
import type { LockPackage } from '../pins/lock.js';
import { hashTree, hashTreeFiles, readInstalled, treeDigest } from './fingerprint.js';
import { splitSpec, type PackageSource } from './identify.js';
import { storeEntryDir } from './store.js';
import { isMarkedVerified, markVerified, takeStatState } from './store-marker.js';
import { assertStoreSafe } from './store-safety.js';

type NpmLock = Extract<LockPackage, { kind: 'npm' }>;

/** The first path whose hash differs between two path → hash records (added, removed or changed). */
export const firstDifference = (
  locked: Readonly<Record<string, string>>,
  now: Readonly<Record<string, string>>,
): string | undefined =>
  [...new Set([...Object.keys(locked), ...Object.keys(now)])]
    .sort()
    .find((path) => locked[path] !== now[path]);

export const tampered = (id: string, what: string) =>
  new PackageError(
    'PACKAGE_TAMPERED',
    `server "${id}" not started: ${what} differs from toolgate.lock (tampered or changed; review and run toolgate lock again)`,
  );

/**
 * An installed package's files against the lock's tree digest; a difference is named by its first
 * differing file when the lock has the per-file hashes (`files`, written by lock since they exist).
 */
const assertTree = async (
  id: string,
  locked: NpmLock,
  installPath: string,
  where: string,
): Promise<void> => {
  if (locked.tree === undefined) return;
  const now = await hashTreeFiles(installPath);
  if (treeDigest(now) === locked.tree) return;
  const changed = locked.files && firstDifference(locked.files, Object.fromEntries(now));
  const named =
    changed === undefined
      ? ' (lock again to have the differing file named)'
      : ` (first difference: ${join(installPath, changed)})`;
  throw tampered(id, `the installed files of ${locked.name}@${locked.version}${where}${named}`);
};

const notInstalled = (id: string, locked: NpmLock, where: string) =>
  new PackageError(
    'PACKAGE_NOT_INSTALLED',
    `server "${id}" not started: ${locked.name}@${locked.version} is not in the package store (${where}); run "toolgate lock --config <config> ${id}" to install it again`,
  );

/**
 * A store launch: the spawned bin must lie in the entry the lock names (by integrity and dependency
 * tree), whose package files and whole node_modules hash as locked.
 */
const assertStoreMatchesLock = async (
  id: string,
  source: PackageSource,
  locked: NpmLock,
): Promise<void> => {
  if (source.kind === 'npx') {
    const { name, version } = splitSpec(source.spec);
    if (name !== locked.name || (source.unpinned === undefined && version !== locked.version))
      throw tampered(id, `the npx package ${source.spec}`);
    throw notInstalled(id, locked, 'the lock records no store entry');
  }
  const { integrity, dependencies } = locked;
  if (source.kind !== 'node_modules' || integrity === undefined || dependencies === undefined)
    throw tampered(id, 'the kind of package');
  const entry = dirname(source.nodeModules);
  const expected = basename(storeEntryDir('/', { ...locked, integrity, dependencies }));
  if (source.name !== locked.name || basename(entry) !== expected)
    throw tampered(id, `the store entry ${entry} (locked: ${expected})`);
  await assertStoreSafe(entry, `server "${id}" not started`);
  // Hashed in full once; then, while no file of the entry has changed since, checked by lstat alone.
  const verified = `${dependencies}\0${locked.tree ?? ''}`;
  if (await isMarkedVerified(source.nodeModules, verified)) return;
  const before = await takeStatState(source.nodeModules);
  const now = await hashTree(source.nodeModules, true).catch(() => undefined);
  if (now === undefined) throw notInstalled(id, locked, entry);
  await assertTree(id, locked, source.installPath, ` in the store (${source.installPath})`);
  if (now !== dependencies)
    throw tampered(id, `the dependencies of ${locked.name}@${locked.version} in ${entry}`);
  await markVerified(source.nodeModules, verified, before);
};

/** An npm package before a spawn: installed in node_modules, or managed in the store. */
export const assertNpmMatchesLock = async (
  id: string,
  source: PackageSource,
  locked: NpmLock,
): Promise<void> => {
  if (locked.launcher === 'store') return assertStoreMatchesLock(id, source, locked);
  if (source.kind !== 'node_modules' || source.name !== locked.name)
    throw tampered(id, 'the package');
  const installed = await readInstalled(source.installPath, source.nodeModules, source.name).catch(
    () => undefined,
  );
  if (installed?.version !== locked.version)
    throw tampered(id, `the installed version of ${locked.name}`);
  await assertTree(id, locked, source.installPath, '');
};
