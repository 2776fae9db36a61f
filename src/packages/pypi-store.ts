import { createHash } from 'node:crypto';
import { lstat, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isStdioServer, type ServerConfig } from '../config/schema.js';
import { PackageError } from '../errors.js';
import type { LockPackage } from '../pins/lock.js';
import { tampered } from './check-npm.js';
import { hashTree } from './fingerprint.js';
import { installPinned, isLockPython } from './pip.js';
import { stateDirOf } from './places.js';
import { exactPypi, pypiLaunchOf } from './python-launcher.js';
import { isMarkedVerified, markVerified, takeStatState } from './store-marker.js';
import { openInstall, placeEntry, seal } from './store.js';
import { assertStoreSafe } from './store-safety.js';

/**
 * uvx/pipx servers in the package store: `toolgate lock` installs the pinned wheels with pip into
 * `<entry>/site` (hash-checked, no dependencies resolved at install), and the gateway starts the
 * console script from there with the locked interpreter, the entry bound read-only, no launcher and
 * no network. Same content addressing, sealing and tamper marker as npm entries (store.ts).
 */

type PypiLock = Extract<LockPackage, { kind: 'pypi' }>;

/** `<root>/pypi+<name>@<version>-<16 hex of SHA-256(distributions)>-<16 hex of tree>`. Pure. */
export const pypiEntryDir = (root: string, pkg: PypiLock & { tree: string }): string => {
  const pinned = Object.entries(pkg.distributions)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([file, sha256]) => `${file}\0${sha256}`)
    .join('\n');
  const key = createHash('sha256').update(pinned).digest('hex').slice(0, 16);
  return join(root, `pypi+${pkg.name}@${pkg.version}-${key}-${pkg.tree.slice(0, 16)}`);
};

/** A wheel's requirement line from its PEP 427 file name (`name-version-…whl`) and pinned hash. Pure. */
const requirementOf = (file: string, sha256: string): string => {
  const [name, version] = file.split('-');
  return `${name}==${version} --hash=sha256:${sha256}`;
};

/** Installs exactly the locked wheels into a fresh store entry; returns the lock with its `tree`. */
export const installPypi = async (
  pkg: PypiLock,
  index: string | undefined,
  root: string,
): Promise<PypiLock & { tree: string }> => {
  const work = await openInstall(root, `cannot install ${pkg.name}==${pkg.version}`);
  try {
    const requirements = join(work, 'requirements.txt');
    const lines = Object.entries(pkg.distributions).map(([f, h]) => requirementOf(f, h));
    await writeFile(requirements, `${lines.join('\n')}\n`);
    await installPinned({ path: pkg.python, version: '' }, requirements, join(work, 'site'), index);
    await rm(requirements);
    if (!(await lstat(join(work, 'site', 'bin', pkg.command)).catch(() => undefined)))
      throw new PackageError(
        'PACKAGE_INSTALL_FAILED',
        `${pkg.name}==${pkg.version} has no console script "${pkg.command}" (name it with --from PKG CMD)`,
      );
    await seal(work);
    const locked = { ...pkg, tree: await hashTree(join(work, 'site'), true) };
    await placeEntry(work, pypiEntryDir(root, locked), locked.tree, 'site');
    return locked;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
};

/**
 * A uvx/pipx server as the gateway spawns it under a lock: the locked interpreter running the
 * console script from the store, its site folder on PYTHONPATH and bound read-only, with its own
 * state folder. A configured spec that no longer names the locked release is left as configured:
 * the before-spawn check refuses it.
 */
export const spawnedAsPypi = (
  id: string,
  server: ServerConfig,
  pkg: PypiLock,
  storeRoot: string,
): ServerConfig => {
  if (!isStdioServer(server) || pkg.tree === undefined) return server;
  const launch = pypiLaunchOf(server.command, server.args);
  const exact = launch && exactPypi(launch.spec);
  if (!launch || exact?.name !== pkg.name || exact.version !== pkg.version) return server;
  if (launch.command !== pkg.command) return server;
  const entry = pypiEntryDir(storeRoot, { ...pkg, tree: pkg.tree });
  const site = join(entry, 'site');
  return {
    ...server,
    command: pkg.python,
    args: [join(site, 'bin', pkg.command), ...launch.rest],
    // Only the store's code: no user site, no bytecode written into the read-only entry.
    env: { ...server.env, PYTHONPATH: site, PYTHONNOUSERSITE: '1', PYTHONDONTWRITEBYTECODE: '1' },
    stateDir: server.stateDir ?? stateDirOf(id),
    ...(server.sandbox !== false && {
      sandbox: { ...server.sandbox, readOnly: [...server.sandbox.readOnly, entry] },
    }),
  };
};

/**
 * Before every spawn: the server must run the locked interpreter on the console script of the
 * entry the lock names, and that entry's site folder must hash as locked (checked in full once,
 * then by the tamper marker while nothing in it changes).
 */
export const assertPypiMatchesLock = async (
  id: string,
  server: ServerConfig,
  locked: PypiLock,
  configuredPython: string | undefined,
): Promise<void> => {
  if (!isStdioServer(server)) throw tampered(id, 'the kind of server');
  const launch = pypiLaunchOf(server.command, server.args);
  if (launch !== undefined) throw tampered(id, `the ${launch.launcher} package ${launch.spec}`);
  const script = server.args[0] ?? '';
  const site = dirname(dirname(script));
  const entry = dirname(site);
  const expected = locked.tree && basename(pypiEntryDir('/', { ...locked, tree: locked.tree }));
  if (server.command !== locked.python || basename(entry) !== expected)
    throw tampered(id, `the store entry ${entry} (locked: ${expected ?? 'none'})`);
  if (script !== join(site, 'bin', locked.command))
    throw tampered(id, `the console script ${script}`);
  if (!(await isLockPython(locked.python, configuredPython)))
    throw tampered(
      id,
      `the interpreter ${locked.python} (${configuredPython === undefined ? 'no default python3, and no lock.python' : `not lock.python ${configuredPython}`})`,
    );
  await assertStoreSafe(entry, `server "${id}" not started`);
  const verified = `pypi\0${locked.tree ?? ''}`;
  if (await isMarkedVerified(site, verified)) return;
  const before = await takeStatState(site);
  const now = await hashTree(site, true).catch(() => undefined);
  if (now === undefined)
    throw new PackageError(
      'PACKAGE_NOT_INSTALLED',
      `server "${id}" not started: ${locked.name}==${locked.version} is not in the package store (${entry}); run "toolgate lock --config <config> ${id}" to install it again`,
    );
  if (now !== locked.tree)
    throw tampered(id, `the installed files of ${locked.name}==${locked.version} in ${entry}`);
  await markVerified(site, verified, before);
};
