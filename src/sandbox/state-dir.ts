import { statSync } from 'node:fs';
import { chown, lstat, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SandboxError } from '../errors.js';

// A server's own writable folder (its data, never its package), and what a sandbox uid can reach.

const PLACEHOLDER = '${TOOLGATE_STATE_DIR}';

/**
 * Creates a server's state folder (0700; parents 0755) owned by the uid its sandbox runs as. A
 * symlink is refused: chown would follow it to wherever it points.
 */
export const ensureStateDir = async (
  id: string,
  path: string,
  ids: { readonly uid?: number; readonly gid?: number },
): Promise<void> => {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  await mkdir(path, { recursive: true, mode: 0o700 });
  if (!(await lstat(path)).isDirectory())
    throw new SandboxError(
      'SANDBOX_UNAVAILABLE',
      `server "${id}": its state folder ${path} is not a folder (a symlink?); remove it or set stateDir`,
    );
  if (ids.uid !== undefined) await chown(path, ids.uid, ids.gid ?? ids.uid);
};

/** Names the state folder to the server: `TOOLGATE_STATE_DIR`, and `${TOOLGATE_STATE_DIR}` expanded in env values and args. Pure. */
export const withStateDir = (
  env: Readonly<Record<string, string>>,
  args: readonly string[],
  dir: string,
): { env: Record<string, string>; args: string[] } => ({
  env: {
    ...Object.fromEntries(
      Object.entries(env).map(([name, value]) => [name, value.replaceAll(PLACEHOLDER, dir)]),
    ),
    TOOLGATE_STATE_DIR: dir,
  },
  args: args.map((a) => a.replaceAll(PLACEHOLDER, dir)),
});

/** Whether a mode grants `bit` (1 = x, 4 = r) to uid/gid, as the kernel picks owner, group or other. */
const grants = (
  st: { uid: number; gid: number; mode: number },
  uid: number,
  gid: number,
  bit: number,
): boolean => {
  const shift = st.uid === uid ? 6 : st.gid === gid ? 3 : 0;
  return ((st.mode >> shift) & bit) === bit;
};

/**
 * The first folder on the way to `path` that `uid` cannot pass (or `path` itself, if it cannot read
 * it), with its mode; undefined when it can reach it. A sandbox runs as its own uid when toolgate
 * runs as root, and bwrap resolves every bind as that uid.
 */
export const unreachable = (
  path: string,
  uid: number,
  gid: number,
): { folder: string; mode: string } | undefined => {
  const chain: string[] = [];
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    chain.unshift(dir);
    if (dir === dirname(dir)) break;
  }
  for (const dir of chain) {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (st && !grants(st, uid, gid, 1))
      return { folder: dir, mode: (st.mode & 0o777).toString(8).padStart(4, '0') };
  }
  const st = statSync(path, { throwIfNoEntry: false });
  if (st && !grants(st, uid, gid, st.isDirectory() ? 5 : 4))
    return { folder: path, mode: (st.mode & 0o777).toString(8).padStart(4, '0') };
  return undefined;
};

/** Refuses a launch whose binds the sandbox uid cannot reach, naming the path, the folder and the fix. */
export const assertReachable = (
  id: string,
  paths: readonly string[],
  ids: { readonly uid?: number; readonly gid?: number },
): void => {
  if (ids.uid === undefined) return;
  for (const path of paths) {
    const blocked = unreachable(path, ids.uid, ids.gid ?? ids.uid);
    if (blocked)
      throw new SandboxError(
        'SANDBOX_UNREACHABLE',
        `server "${id}": its sandbox runs as uid ${ids.uid}, which cannot reach ${path}: ${blocked.folder} is mode ${blocked.mode}. Keep what a server runs and reads where every user may pass (the package store, lock.store, and stateDir default to /var/cache/toolgate and /var/lib/toolgate for root), or open that folder to others (chmod o+x), or run toolgate as an unprivileged user`,
      );
  }
};
