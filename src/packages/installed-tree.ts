import { readFile, realpath } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';

/** One installed npm package, as read from its package.json and npm's lockfile. */
export interface InstalledPackage {
  readonly name: string;
  readonly version: string;
  /** SRI integrity (`sha512-…`, `sha1-…`) from npm's lockfile or `_integrity`, when known. */
  readonly integrity?: string | undefined;
  /** Keys (in `InstalledTree.packages`) of the packages it depends on, as resolved on disk. */
  readonly dependsOn: readonly string[];
}

/** A server's installed tree: its own package under `root`, every package it reaches by key. */
export interface InstalledTree {
  readonly root: string;
  readonly packages: ReadonlyMap<string, InstalledPackage>;
  /** Declared (non-optional) dependencies that were not found on disk: `name (required by …)`. */
  readonly missing: readonly string[];
}

/** A tree larger than this is cut short (and reported incomplete) rather than read without end. */
const MAX_PACKAGES = 20_000;

interface Manifest {
  name: string;
  version: string;
  integrity: string | undefined;
  required: string[];
  optional: string[];
}

// untrusted: package.json files of an installed tree are the package authors' text.
const readManifest = async (dir: string): Promise<Manifest | undefined> => {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object') return undefined;
  const m = doc as Record<string, unknown>;
  if (typeof m['name'] !== 'string' || typeof m['version'] !== 'string') return undefined;
  const names = (field: unknown): string[] =>
    field && typeof field === 'object' && !Array.isArray(field)
      ? Object.keys(field).filter((n) => n !== '' && !n.includes('..'))
      : [];
  const optional = [...names(m['optionalDependencies']), ...names(m['peerDependencies'])];
  return {
    name: m['name'],
    version: m['version'],
    integrity: typeof m['_integrity'] === 'string' ? m['_integrity'] : undefined,
    required: names(m['dependencies']).filter((n) => !optional.includes(n)),
    optional,
  };
};

/** npm's lockfile entries (`node_modules/a/node_modules/b` → integrity and version) of the project holding `nodeModules`. */
// untrusted: the lockfile of an installed tree.
const readLockfile = async (
  nodeModules: string,
): Promise<Map<string, { version: unknown; integrity: unknown }>> => {
  for (const path of [
    join(nodeModules, '.package-lock.json'),
    join(dirname(nodeModules), 'package-lock.json'),
  ]) {
    try {
      const doc = JSON.parse(await readFile(path, 'utf8')) as { packages?: unknown };
      if (doc.packages && typeof doc.packages === 'object')
        return new Map(
          Object.entries(
            doc.packages as Record<string, { version: unknown; integrity: unknown }>,
          ).filter(([, v]) => v && typeof v === 'object'),
        );
    } catch {
      // no such lockfile: try the next
    }
  }
  return new Map();
};

/** The `node_modules` folder an installed package sits in (`…/node_modules/@scope/name` → `…/node_modules`). */
export const nodeModulesOf = (installPath: string, name: string): string => {
  const up = name.split('/').length;
  let dir = installPath;
  for (let i = 0; i < up; i++) dir = dirname(dir);
  return dir;
};

const exists = async (dir: string): Promise<string | undefined> => {
  try {
    return await realpath(dir);
  } catch {
    return undefined;
  }
};

/**
 * Reads a server's installed package and every package it depends on, resolved as Node resolves them
 * (the package's own `node_modules`, then each enclosing one), never above the project holding the
 * install's `node_modules`. Keys are paths relative to that project (`node_modules/a`), as in npm's
 * lockfile, whose integrity is used when its version matches (else the manifest's `_integrity`).
 * `undefined`: the package is not installed at `installPath`.
 */
export const readInstalledTree = async (
  installPath: string,
  name: string,
): Promise<InstalledTree | undefined> => {
  const nodeModules = nodeModulesOf(installPath, name);
  const project = dirname(nodeModules);
  const lockfile = await readLockfile(nodeModules);
  const packages = new Map<string, InstalledPackage>();
  const missing: string[] = [];
  const rootReal = await exists(installPath);
  if (rootReal === undefined || (await readManifest(installPath)) === undefined) return undefined;
  const root = relative(project, installPath).split(sep).join('/');

  const resolveDep = async (from: string, dep: string): Promise<string | undefined> => {
    for (let dir = from; ; dir = dirname(dir)) {
      if (basename(dir) !== 'node_modules') {
        const candidate = join(dir, 'node_modules', dep);
        if ((await exists(candidate)) !== undefined) return candidate;
      }
      if (dir === project || relative(project, dir).startsWith('..') || dirname(dir) === dir)
        return undefined;
    }
  };

  const queue: string[] = [installPath];
  const seen = new Set<string>([installPath]);
  while (queue.length > 0 && packages.size < MAX_PACKAGES) {
    const dir = queue.shift() as string;
    const manifest = await readManifest(dir);
    if (manifest === undefined) continue;
    const key = relative(project, dir).split(sep).join('/');
    const dependsOn: string[] = [];
    for (const [dep, optional] of [
      ...manifest.required.map((d) => [d, false] as const),
      ...manifest.optional.map((d) => [d, true] as const),
    ]) {
      const found = await resolveDep(dir, dep);
      if (found === undefined || (await readManifest(found)) === undefined) {
        if (!optional) missing.push(`${dep} (required by ${manifest.name}@${manifest.version})`);
        continue;
      }
      dependsOn.push(relative(project, found).split(sep).join('/'));
      if (!seen.has(found)) {
        seen.add(found);
        queue.push(found);
      }
    }
    const entry = lockfile.get(key);
    const integrity =
      entry?.version === manifest.version && typeof entry.integrity === 'string'
        ? entry.integrity
        : manifest.integrity;
    packages.set(key, { name: manifest.name, version: manifest.version, integrity, dependsOn });
  }
  if (queue.length > 0) missing.push(`more than ${MAX_PACKAGES} packages: the rest was not read`);
  return { root, packages, missing };
};
