import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { delimiter, join, relative } from 'node:path';
import { PackageError } from '../errors.js';

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

export const hashFile = async (path: string): Promise<string> => sha256(await readFile(path));

/**
 * SHA-256 over every file of an installed package (sorted relative path, then each file's SHA-256;
 * symlinks by target). Its own nested `node_modules` is left out: dependencies are other packages.
 */
export const hashTree = async (dir: string): Promise<string> => {
  const lines: string[] = [];
  const walk = async (current: string): Promise<void> => {
    const entries = (await readdir(current, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(current, entry.name);
      const rel = relative(dir, path);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') await walk(path);
      } else if (entry.isSymbolicLink()) lines.push(`${rel}\0link\0${await readlink(path)}`);
      else if (entry.isFile()) lines.push(`${rel}\0${await hashFile(path)}`);
    }
  };
  await walk(dir);
  return sha256(lines.join('\n'));
};

/** Resolves a bare command on PATH like the spawn would; a path is returned as is. */
export const resolveBinary = async (command: string, path = process.env['PATH'] ?? ''): Promise<string> => {
  if (command.includes('/')) return command;
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      if ((await lstat(candidate)).isFile() || (await lstat(candidate)).isSymbolicLink()) return candidate;
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
  const manifest = JSON.parse(await readFile(join(installPath, 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof manifest.version !== 'string') throw new PackageError('PACKAGE_TAMPERED', `${installPath}/package.json has no version`);
  let integrity: string | undefined;
  for (const lockfile of [join(nodeModules, '.package-lock.json'), join(nodeModules, '..', 'package-lock.json')]) {
    try {
      const lock = JSON.parse(await readFile(lockfile, 'utf8')) as { packages?: Record<string, { integrity?: unknown; version?: unknown }> };
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
