import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { delimiter, dirname, join, relative, sep } from 'node:path';
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

/** Where `npx SPEC` will run a package from: the project's node_modules, or npx's own cache directory. */
export interface NpxInstall {
  readonly where: 'local' | 'npx-cache';
  /** The package directory (`…/node_modules/NAME`). */
  readonly installPath: string;
  /** For the npx cache: its `node_modules`, which holds the package and all its dependencies. */
  readonly dependencyRoot?: string;
}

const versionAt = async (dir: string): Promise<string | undefined> => {
  try {
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof manifest.version === 'string' ? manifest.version : undefined;
  } catch {
    return undefined;
  }
};

const exists = async (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/** npm's local prefix: the nearest directory from `cwd` up holding a package.json or node_modules, else `cwd`. */
const localPrefix = async (cwd: string): Promise<string> => {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if ((await exists(join(dir, 'package.json'))) || (await exists(join(dir, 'node_modules'))))
      return dir;
    if (dirname(dir) === dir) return cwd;
  }
};

/** npx's cache directory of one spec list (libnpmexec: first 16 hex of SHA-512 over the sorted specs). */
const npxCacheDir = (cacheRoot: string, specs: readonly string[]): string =>
  join(
    cacheRoot,
    '_npx',
    createHash('sha512')
      .update([...specs].sort((a, b) => a.localeCompare(b, 'en')).join('\n'))
      .digest('hex')
      .slice(0, 16),
  );

/**
 * Finds the copy `npx SPEC` will run, as npx looks for it (npm 7+): first the project tree at npm's
 * local prefix of the spawn's `cwd` (used when it has the exact version), then npx's cache
 * (`<cache>/_npx/<hash of the spec>/node_modules/NAME`). `cacheRoot` is npm's cache as the child
 * sees it (`npm_config_cache`, else `$HOME/.npm`). `undefined`: not installed yet (npx would fetch it).
 */
export const findNpxInstall = async (
  name: string,
  version: string,
  spec: string,
  cwd: string,
  cacheRoot: string,
): Promise<NpxInstall | undefined> => {
  const local = join(await localPrefix(cwd), 'node_modules', name);
  if ((await versionAt(local)) === version) return { where: 'local', installPath: local };
  const dependencyRoot = join(npxCacheDir(cacheRoot, [spec]), 'node_modules');
  const cached = join(dependencyRoot, name);
  if ((await versionAt(cached)) === version)
    return { where: 'npx-cache', installPath: cached, dependencyRoot };
  return undefined;
};
