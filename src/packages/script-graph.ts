import { isBuiltin } from 'node:module';
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PackageError } from '../errors.js';
import { hashFile, hashTree } from './fingerprint.js';

/** What a script server loads, as far as it can be read from its source without running it. */
export interface ScriptGraph {
  /** Every file reached from the entry by static relative or absolute imports (absolute path → SHA-256). */
  readonly modules: Record<string, string>;
  /** Every installed package a reached file imports by name (package directory → SHA-256 of its files). */
  readonly packages: Record<string, string>;
}

/** Past this many files the graph is refused, not cut short: an unpinned module could be swapped unseen. */
const MAX_MODULES = 10_000;
/** Literal specifiers of `import … from`, `export … from`, side-effect `import '…'`, `import('…')` and `require('…')`. */
const SPECIFIERS = [
  /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"\n]+)['"]/g,
  /\bimport\s*['"]([^'"\n]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g,
  /\brequire\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g,
];
const EXTENSIONS = ['', '.js', '.mjs', '.cjs', '.json', '/index.js', '/index.mjs', '/index.cjs'];

const isFile = async (path: string): Promise<boolean> =>
  stat(path).then(
    (s) => s.isFile(),
    () => false,
  );

const packageName = (specifier: string): string => {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
};

/** Node's node_modules lookup for a package name, from the importing file's directory up. */
const findPackageDir = async (from: string, name: string): Promise<string | undefined> => {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (await isFile(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
};

/**
 * The files a script server (`node path/to/server.js`) loads, read statically from its source: the
 * entry, every file it imports by a relative or absolute path (transitively), and the installed
 * package directory of every name it imports (all that package's own files). Pinned by `lock` and
 * recomputed before every spawn, so a tampered sibling module, a new import, or a changed package
 * the script imports refuses the start. Not followed: imports built from non-literal strings, and
 * the dependencies of an imported package (pin a server installed as an npm package for those).
 * More than MAX_MODULES files refuses (`PACKAGE_GRAPH_TOO_LARGE`) rather than pinning a part.
 */
export const scriptGraph = async (
  entry: string,
  maxModules = MAX_MODULES,
): Promise<ScriptGraph> => {
  const modules: Record<string, string> = {};
  const packages: Record<string, string> = {};
  const queue = [resolve(entry)];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (file in modules) continue;
    if (Object.keys(modules).length >= maxModules)
      throw new PackageError(
        'PACKAGE_GRAPH_TOO_LARGE',
        `the script ${entry} loads more than ${maxModules} files; ` +
          'install it as an npm package (pinned as a whole tree) instead of a script',
      );
    modules[file] = await hashFile(file);
    if (!/\.(c|m)?js$/.test(file)) continue; // JSON and other data are hashed, not parsed
    // untrusted: the script's source decides what it imports; it is only read, never run.
    const source = await readFile(file, 'utf8');
    for (const pattern of SPECIFIERS)
      for (const match of source.matchAll(pattern)) {
        const specifier = match[1] as string;
        if (specifier.startsWith('node:') || isBuiltin(specifier)) continue;
        if (specifier.startsWith('.') || isAbsolute(specifier) || specifier.startsWith('file:')) {
          // A file: URL's path is percent-encoded (`my%20lib`): decoded, as Node's loader does.
          const base = specifier.startsWith('file:')
            ? fileURLToPath(specifier)
            : resolve(dirname(file), specifier);
          for (const ext of EXTENSIONS)
            if (await isFile(base + ext)) {
              queue.push(base + ext);
              break;
            }
          continue;
        }
        const dir = await findPackageDir(file, packageName(specifier));
        if (dir !== undefined && !(dir in packages)) packages[dir] = await hashTree(dir);
      }
  }
  return { modules, packages };
};
