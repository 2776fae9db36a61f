import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { delimiter, join, relative, sep } from 'node:path';
import { PackageError } from '../errors.js';

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

export const hashFile = async (path: string): Promise<string> => sha256(await readFile(path));

/**
 * SHA-256 over every file of an installed package (sorted relative path, then each file's SHA-256;
 * symlinks by target). Its own nested `node_modules` is left out (dependencies are other packages)
 * unless `nested`, which hashes everything under `dir`, dependencies included.
 */
export const hashTree = async (dir: string, nested = false): Promise<string> =>
  treeDigest(await hashTreeFiles(dir, nested));

/** What {@link hashTree} digests: relative path → file SHA-256 (or `link\0target`), kept so a difference can be named. */
export const hashTreeFiles = async (dir: string, nested = false): Promise<Map<string, string>> => {
  const files: string[] = [];
  const lines = new Map<string, string>();
  const walk = async (current: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        const path = join(current, entry.name);
        if (entry.isDirectory()) {
          if (nested || entry.name !== 'node_modules') await walk(path);
        } else if (entry.isSymbolicLink())
          lines.set(relative(dir, path), `link\0${await readlink(path)}`);
        else if (entry.isFile()) files.push(path);
      }),
    );
  };
  await walk(dir);
  // Files are read a few at a time: thousands of small files (a dependency tree) hash in parallel.
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const path = files[next++] as string;
      lines.set(relative(dir, path), await hashFile(path));
    }
  };
  await Promise.all(Array.from({ length: Math.min(HASH_CONCURRENCY, files.length) }, worker));
  return lines;
};

/** The tree hash of relative path → file SHA-256 (or `link\0target`): sorted as a name-sorted depth-first walk. */
export const treeDigest = (lines: ReadonlyMap<string, string>): string =>
  sha256(
    [...lines.keys()]
      .sort(bySegments)
      .map((rel) => `${rel}\0${lines.get(rel) as string}`)
      .join('\n'),
  );

/** Per-file hashes as a path-sorted record, as the lock stores them. */
export const sortedRecord = (files: ReadonlyMap<string, string>): Record<string, string> =>
  Object.fromEntries([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const HASH_CONCURRENCY = 16;

/** Path order of a depth-first walk with each directory's entries sorted by name (segment by segment). */
const bySegments = (a: string, b: string): number => {
  const x = a.split(sep);
  const y = b.split(sep);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i] as string;
    const q = y[i] as string;
    if (p !== q) return p < q ? -1 : 1;
  }
  return x.length - y.length;
};

/** Resolves a bare command on PATH like the spawn would; a path is returned as is. */
export const resolveBinary = async (
  command: string,
  path = process.env['PATH'] ?? '',
): Promise<string> => {
  if (command.includes('/')) return command;
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      if ((await lstat(candidate)).isFile() || (await lstat(candidate)).isSymbolicLink())
        return candidate;
    } catch {
      // not here; next PATH entry
    }
  }
  throw new PackageError('PACKAGE_TAMPERED', `"${command}" is not on PATH`);
};

/** Version and registry integrity of an installed package, from its package.json and npm's lockfile. */
export const readInstalled = async (
  installPath: string,
  nodeModules: string,
  name: string,
): Promise<{ version: string; integrity: string | undefined }> => {
  const manifest = JSON.parse(await readFile(join(installPath, 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  if (typeof manifest.version !== 'string')
    throw new PackageError('PACKAGE_TAMPERED', `${installPath}/package.json has no version`);
  let integrity: string | undefined;
  for (const lockfile of [
    join(nodeModules, '.package-lock.json'),
    join(nodeModules, '..', 'package-lock.json'),
  ]) {
    try {
      const lock = JSON.parse(await readFile(lockfile, 'utf8')) as {
        packages?: Record<string, { integrity?: unknown; version?: unknown }>;
      };
      const entry = lock.packages?.[`node_modules/${name}`];
      if (entry?.version === manifest.version && typeof entry.integrity === 'string') {
        integrity = entry.integrity;
        break;
      }
    } catch {
      // no such lockfile: try the next
    }
  }
  return { version: manifest.version, integrity };
};
