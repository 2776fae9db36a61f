import type { Stats } from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PackageError } from '../errors.js';

/**
 * Whether another user could change a store entry between the check that hashes it and the spawn
 * that runs it (or forge its tamper marker, store-marker.ts): the entry and every folder above it,
 * as written and as resolved, must be owned by this user or root and writable by no one else. A
 * world-writable folder with the sticky bit (`/tmp`) passes: others cannot rename what is ours in
 * it, and the next component is checked in turn. PKG-16.
 */

const ids = () => ({ uid: process.geteuid?.() ?? -1, gid: process.getegid?.() ?? -1 });

/** Why a path component is unsafe, if it is. Pure. */
const weakness = (s: Stats, uid: number, gid: number): string | undefined => {
  if (s.uid !== uid && s.uid !== 0) return `is owned by uid ${s.uid}`;
  if (s.isSymbolicLink()) return undefined; // a link's own mode means nothing; its folder is checked
  if (s.isDirectory() && (s.mode & 0o1000) !== 0) return undefined;
  if ((s.mode & 0o002) !== 0) return 'is writable by other users';
  if ((s.mode & 0o020) !== 0 && s.gid !== gid) return `is writable by group ${s.gid}`;
  return undefined;
};

const firstWeakness = async (path: string): Promise<string | undefined> => {
  const { uid, gid } = ids();
  for (let p = path; ; p = dirname(p)) {
    const why = weakness(await lstat(p), uid, gid);
    if (why !== undefined) return `${p} ${why}`;
    if (p === dirname(p)) return undefined;
  }
};

/**
 * Refuses a store path another user could change: `PACKAGE_STORE_UNSAFE`. A path that does not
 * exist passes (the caller reports a missing entry as such).
 * @example await assertStoreSafe('/home/me/.cache/toolgate/packages/pkg@1.0.0-…', 'server "x" not started')
 */
export const assertStoreSafe = async (path: string, context: string): Promise<void> => {
  const real = await realpath(path).catch(() => undefined);
  if (real === undefined) return;
  const why = (await firstWeakness(path)) ?? (await firstWeakness(real));
  if (why === undefined) return;
  throw new PackageError(
    'PACKAGE_STORE_UNSAFE',
    `${context}: the package store could be changed by another user between the check and the start (${why}). Fix: make it owned by this user and writable by no one else (chown, chmod go-w), or set lock.store to such a folder and lock again`,
  );
};
