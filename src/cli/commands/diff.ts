import { Command } from '@commander-js/extra-typings';
import { dirname, resolve } from 'node:path';
import { configOption, done } from '../program.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { LockError, PackageError } from '../../errors.js';
import { captureServer } from '../../gateway/capture.js';
import { assertInstalledMatchesLock } from '../../packages/check-installed.js';
import { spawnedAs } from '../../packages/managed.js';
import { storeRootOf } from '../../packages/places.js';
import { diffServer, formatChanges } from '../../pins/diff.js';
import type { Lock } from '../../pins/lock.js';
import { lockPathOf, readLock } from '../../pins/store.js';

/** Starts a locked server after checking its package against the lock, and captures it (also `toolgate tools --live`). */
export const captureLocked = async (
  configPath: string,
  config: Config,
  lockFile: Lock,
  id: string,
) => {
  const configured = config.servers[id];
  const locked = lockFile.servers[id];
  if (!configured || !locked)
    throw new LockError(
      'LOCK_SERVER_MISSING',
      `server "${id}" is in the config and the lock? it is not`,
    );
  const store = storeRootOf(config.lock.store, dirname(resolve(configPath)));
  const server = spawnedAs(id, configured, locked.package, store);
  await assertInstalledMatchesLock(
    id,
    server,
    locked.package,
    process.cwd(),
    dirname(resolve(configPath)),
    config.lock.python,
  );
  return captureServer({ ...config, servers: { ...config.servers, [id]: server } }, id);
};

export const requireLock = async (
  configPath: string,
  config: Config,
): Promise<{ path: string; lock: Lock }> => {
  const path = lockPathOf(configPath, config);
  const found = await readLock(path);
  if (!found) throw new LockError('LOCK_MISSING', `no lock at ${path}: run toolgate lock first`);
  return { path, lock: found };
};

/** `toolgate diff --config FILE [SERVER]`: what changed live since the lock, field by field. Exit 1 on changes. */
const diff = async (configPath: string, only: string | undefined): Promise<number> => {
  const config = await loadConfig(configPath);
  const { lock: lockFile } = await requireLock(configPath, config);
  let changed = 0;
  for (const id of Object.keys(config.servers)) {
    if (only !== undefined && id !== only) continue;
    const locked = lockFile.servers[id];
    if (!locked) {
      process.stdout.write(`${id} NOT LOCKED\n`);
      changed++;
      continue;
    }
    let live;
    try {
      live = await captureLocked(configPath, config, lockFile, id);
    } catch (error) {
      if (!(error instanceof PackageError)) throw error;
      // A changed package is itself the difference to review (approve SERVER re-locks it); nothing is started.
      process.stdout.write(`${id} PACKAGE CHANGED\n    ${error.message}\n`);
      changed++;
      continue;
    }
    const changes = diffServer(locked, live);
    changed += changes.length;
    process.stdout.write(formatChanges(id, changes));
  }
  return changed === 0 ? 0 : 1;
};

export const diffCommand = () =>
  new Command('diff')
    .description('what changed live since the lock (exit 1 on changes)')
    .argument('[SERVER]', 'only this server')
    .addOption(configOption())
    .action(async (server, opts) => done(await diff(opts.config, server)));
