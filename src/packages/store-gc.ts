import { readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { LockPackage } from '../pins/lock.js';
import { pypiEntryDir } from './pypi-store.js';
import { storeEntryDir } from './store.js';

/**
 * Garbage collection of the managed package store: every entry no given lock references goes.
 * Entries are content-addressed and never updated in place, so an entry a lock names is exactly
 * what that lock needs; anything else is an old version or another tree. Names starting with a dot
 * are installs in progress (`.install-…`) and are left alone: a concurrent `lock` may own them.
 */

export interface StoreGcResult {
  readonly kept: readonly string[];
  readonly removed: readonly string[];
}

/** The store entry directory names a lock's packages reference (npm and PyPI packages installed to the store). Pure. */
export const referencedEntries = (packages: readonly LockPackage[]): Set<string> => {
  const names = new Set<string>();
  for (const pkg of packages) {
    if (pkg.kind === 'pypi' && pkg.tree !== undefined)
      names.add(basename(pypiEntryDir('/', { ...pkg, tree: pkg.tree })));
    if (pkg.kind !== 'npm' || pkg.launcher !== 'store') continue;
    const { integrity, dependencies } = pkg;
    if (integrity === undefined || dependencies === undefined) continue;
    names.add(basename(storeEntryDir('/', { ...pkg, integrity, dependencies })));
  }
  return names;
};

/**
 * Removes (or, with `dryRun`, only lists) every entry of `root` not in `keep`. A store that does not
 * exist has nothing to collect.
 * @example await collectStoreGarbage('/home/me/.cache/toolgate/packages', referencedEntries(pkgs), false)
 */
export const collectStoreGarbage = async (
  root: string,
  keep: ReadonlySet<string>,
  dryRun: boolean,
): Promise<StoreGcResult> => {
  const entries = await readdir(root, { withFileTypes: true }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  });
  const kept: string[] = [];
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    if (keep.has(entry.name)) {
      kept.push(entry.name);
      continue;
    }
    // Entries are sealed read-only file by file, but their directories stay the owner's to empty.
    if (!dryRun) await rm(join(root, entry.name), { recursive: true, force: true });
    removed.push(entry.name);
  }
  return { kept: kept.sort(), removed: removed.sort() };
};
