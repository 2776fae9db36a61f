import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';

/**
 * A keyed marker that a store entry hashed as locked, so the next start checks it by `lstat` alone
 * instead of re-hashing thousands of files (seconds per start). The marker is an HMAC, under a key
 * only the store's owner can read, of what the entry was verified against and of every file's
 * inode, size, mode, mtime and ctime. Writing a file, replacing or renaming it, or changing its mode
 * changes its ctime, which no unprivileged process can set back: any change to the entry misses the
 * marker and the entry is hashed in full again (PKG-8).
 */

/** Where the markers and their key live: beside the entries, readable by the store's owner only. */
const markerDir = (entry: string) => join(dirname(entry), '.verified');

/** Files changed this recently may change again within one clock tick unseen: no marker for them. */
const SETTLED_MS = 2_000;

/** Every path under `dir` with its device, inode, size, mode, mtime and ctime (ns), sorted: the entry's stat state. */
const statState = async (dir: string): Promise<{ digest: string; newestChangeMs: number }> => {
  const lines: string[] = [];
  let newest = 0n;
  const walk = async (current: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        const path = join(current, entry.name);
        const s = await lstat(path, { bigint: true });
        if (s.ctimeNs > newest) newest = s.ctimeNs;
        lines.push(
          [relative(dir, path), s.dev, s.ino, s.size, s.mode, s.mtimeNs, s.ctimeNs].join('\0'),
        );
        if (entry.isDirectory()) await walk(path);
      }),
    );
  };
  const root = await lstat(dir, { bigint: true });
  lines.push(['.', root.dev, root.ino, root.mode, root.mtimeNs, root.ctimeNs].join('\0'));
  await walk(dir);
  const digest = createHash('sha256').update(lines.sort().join('\n')).digest('hex');
  return { digest, newestChangeMs: Number(newest / 1_000_000n) };
};

/** The key at `path` if this user wrote it and no one else may read it: another's key forges markers (PKG-16). */
const ownKey = async (path: string): Promise<Buffer | undefined> => {
  const k = await lstat(path).catch(() => undefined);
  if (!k?.isFile() || k.uid !== process.geteuid?.() || (k.mode & 0o077) !== 0) return undefined;
  return readFile(path).catch(() => undefined);
};

/** The store's marker key, created (0600) on first use; undefined when it can be neither read nor made. */
const markerKey = async (entry: string, create: boolean): Promise<Buffer | undefined> => {
  const path = join(markerDir(entry), 'key');
  const existing = await ownKey(path);
  if (existing !== undefined || !create) return existing;
  await mkdir(markerDir(entry), { recursive: true, mode: 0o700 });
  await chmod(markerDir(entry), 0o700);
  // `wx`: two gateways starting at once never replace each other's key.
  await writeFile(path, randomBytes(32), { flag: 'wx', mode: 0o600 }).catch(() => undefined);
  return ownKey(path);
};

const mac = (key: Buffer, entry: string, expected: string, state: string) =>
  createHmac('sha256', key)
    .update(`${basename(entry)}\0${expected}\0${state}`)
    .digest();

/**
 * Whether `nodeModules` of a store entry is unchanged since it last hashed as `expected` (the lock's
 * `dependencies` and `tree`). False, never an error, when there is no marker, no key or any change.
 */
export const isMarkedVerified = async (nodeModules: string, expected: string): Promise<boolean> => {
  const entry = dirname(nodeModules);
  const key = await markerKey(entry, false);
  if (key === undefined) return false;
  const marker = await readFile(join(markerDir(entry), basename(entry))).catch(() => undefined);
  const state = await statState(nodeModules).catch(() => undefined);
  if (marker === undefined || state === undefined) return false;
  const now = mac(key, entry, expected, state.digest);
  return marker.length === now.length && timingSafeEqual(marker, now);
};

/**
 * Records that `nodeModules` just hashed as `expected`, with its stat state taken before the hashing
 * began (`before`, from {@link takeStatState}); nothing is recorded if the entry changed meanwhile or
 * too recently. A cache only: a store this process may not write is hashed in full at every start.
 */
export const markVerified = async (
  nodeModules: string,
  expected: string,
  before: string | undefined,
  settledMs = SETTLED_MS,
): Promise<void> => {
  if (before === undefined) return;
  const entry = dirname(nodeModules);
  try {
    const after = await statState(nodeModules);
    if (after.digest !== before || after.newestChangeMs > Date.now() - settledMs) return;
    const key = await markerKey(entry, true);
    if (key === undefined) return;
    const path = join(markerDir(entry), basename(entry));
    await writeFile(`${path}.tmp-${process.pid}`, mac(key, entry, expected, after.digest), {
      mode: 0o600,
    });
    await rename(`${path}.tmp-${process.pid}`, path);
  } catch {
    // A store we cannot write to: no marker, the next start hashes it in full again.
  }
};

/** The stat state of `nodeModules` before it is hashed, for {@link markVerified}. */
export const takeStatState = async (nodeModules: string): Promise<string | undefined> =>
  statState(nodeModules).then(
    (state) => state.digest,
    () => undefined,
  );
