import { basename, join } from 'node:path';
import { isContainerServer, isStdioServer, type ServerConfig } from '../config/schema.js';
import { PackageError } from '../errors.js';
import type { LockPackage } from '../pins/lock.js';
import { imageToRun, splitSpec, unpinnedReason } from './identify.js';
import type { NpmSettings } from './npmrc.js';
import { npxArguments, npxInvocation, type NpxInvocation } from './npx-args.js';
import { stateDirOf } from './places.js';
import { installPypi, spawnedAsPypi } from './pypi-store.js';
import { installToStore, storePackageDir } from './store.js';

type Invocation = Extract<NpxInvocation, { ok: true }>;

/** The npx invocation of a stdio server, if it is one. */
const invocationOf = (server: ServerConfig): Invocation | undefined => {
  if (!isStdioServer(server)) return undefined;
  const args = npxArguments(basename(server.command), server.args);
  const call = args && npxInvocation(args);
  return call?.ok ? call : undefined;
};

/**
 * `toolgate lock`, after the package is resolved and verified: installs an npx server's package and
 * its dependency tree into the store and records where it runs from (bin, file and tree hashes); a
 * uvx/pipx server's pinned wheels likewise (`pythonIndex`: `lock.pythonIndex`).
 */
export const installManaged = async (
  server: ServerConfig,
  pkg: LockPackage,
  settings: NpmSettings,
  storeRoot: string,
  pythonIndex?: string,
): Promise<LockPackage> => {
  if (pkg.kind === 'pypi') return installPypi(pkg, pythonIndex, storeRoot);
  if (pkg.kind !== 'npm' || pkg.launcher !== 'store') return pkg;
  const call = invocationOf(server);
  if (pkg.integrity === undefined || call === undefined)
    throw new PackageError(
      'PACKAGE_INSTALL_FAILED',
      `${pkg.name}@${pkg.version}: no registry integrity or npx invocation to install it from`,
    );
  const installed = await installToStore(
    { name: pkg.name, version: pkg.version, integrity: pkg.integrity, binName: call.binName },
    settings,
    storeRoot,
  );
  return {
    ...pkg,
    bin: installed.bin,
    tree: installed.tree,
    files: installed.files,
    dependencies: installed.dependencies,
  };
};

/** Whether a configured npx spec names the locked package (an unpinned one resolved by --allow-unpinned). */
const namesLocked = (spec: string, pkg: { name: string; version: string }): boolean => {
  const { name, version } = splitSpec(spec);
  return name === pkg.name && (version === pkg.version || unpinnedReason(spec) !== undefined);
};

/**
 * What a server is spawned as under a lock: an npx server as node running the locked bin from the
 * store (no npx, no network), with its own state folder; a container image by its locked digest.
 * A configured spec that no longer names the locked package is left as configured: the before-spawn
 * check refuses that server (and only it).
 */
export const spawnedAs = (
  id: string,
  server: ServerConfig,
  pkg: LockPackage,
  storeRoot: string,
): ServerConfig => {
  if (pkg.kind === 'image' && isContainerServer(server)) {
    const run = imageToRun(server.image, pkg);
    return run.ok ? { ...server, image: run.image } : server;
  }
  if (pkg.kind === 'pypi') return spawnedAsPypi(id, server, pkg, storeRoot);
  if (pkg.kind !== 'npm' || pkg.launcher !== 'store' || !isStdioServer(server)) return server;
  const call = invocationOf(server);
  const { integrity, dependencies, bin } = pkg;
  if (!call || !namesLocked(call.spec, pkg)) return server;
  if (integrity === undefined || dependencies === undefined || bin === undefined) return server;
  const packageDir = storePackageDir(storeRoot, { ...pkg, integrity, dependencies });
  return {
    ...server,
    command: process.execPath,
    args: [join(packageDir, bin), ...call.rest],
    stateDir: server.stateDir ?? stateDirOf(id),
  };
};

/** Where a locked npm package is installed on this host: its node_modules copy, or its store entry. */
export const installedAt = (pkg: LockPackage, storeRoot: string): string | undefined => {
  if (pkg.kind !== 'npm') return undefined;
  const { integrity, dependencies } = pkg;
  if (pkg.launcher !== 'store' || integrity === undefined || dependencies === undefined)
    return pkg.installPath;
  return storePackageDir(storeRoot, { ...pkg, integrity, dependencies });
};
