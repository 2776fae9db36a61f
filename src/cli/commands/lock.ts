import { Command } from '@commander-js/extra-typings';
import { configOption, done } from '../program.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { LockError } from '../../errors.js';
import type { Captured } from '../../pins/diff.js';
import type { Lock, LockServer } from '../../pins/lock.js';
import { lockPathOf, readLock, writeLock } from '../../pins/store.js';
import { countsOf, lockOne, progress, screen, stderrTail, toFailure } from './lock-one.js';
import { formatLockReport, type LockFailure, type ServerOutcome } from './lock-report.js';

export interface LockFlags {
  /** Resolve unpinned npm specs to one exact version (`--allow-unpinned`). */
  readonly allowUnpinned: boolean;
  /** Write the lock even when the content detector blocks a definition (`--allow-blocked`, after review). */
  readonly allowBlocked: boolean;
}

/**
 * `toolgate lock --config FILE [SERVER...]`: locks every server (or only the named ones), each on its
 * own. A server that fails keeps its previous pins, or stays out of the lock (run/serve then do not
 * start it); the others are written all the same, and the exit code is 1. Unnamed servers keep their
 * entries untouched; a full lock drops servers no longer in the config. Unknown names: exit 2.
 */
const lock = async (
  configPath: string,
  names: readonly string[],
  flags: LockFlags,
): Promise<number> => {
  const config = await loadConfig(configPath);
  const known = Object.keys(config.servers);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    process.stderr.write(
      `toolgate: LOCK_SERVER_MISSING: no server ${unknown.map((n) => `"${n}"`).join(', ')} in ${configPath}; its servers: ${known.join(', ') || '(none)'}\n`,
    );
    return 2;
  }
  const partial = names.length > 0;
  const path = lockPathOf(configPath, config);
  const previous = await previousLock(path, partial);
  const targets = partial ? [...new Set(names)] : known;

  const { captured, failed } = await captureEach(configPath, config, targets, flags, previous);
  // Each server is screened alone, against the tool names of every other server in the new lock (shadowing).
  const toolsOf = new Map<string, readonly string[]>([
    ...Object.entries(previous?.servers ?? {})
      .filter(([id]) => known.includes(id))
      .map(([id, s]) => [id, Object.keys(s.tools)] as const),
    ...[...captured].map(([id, c]) => [id, Object.keys(c.captured.items.tools)] as const),
  ]);
  for (const [id, one] of captured) {
    try {
      screen(
        config,
        new Map([[id, one.captured]]),
        new Map([...toolsOf].filter(([other]) => other !== id)),
        flags.allowBlocked,
      );
    } catch (error) {
      if (!(error instanceof LockError)) throw error;
      captured.delete(id);
      failed.set(id, toFailure(config, id, error, []));
    }
  }

  const servers: Lock['servers'] = partial ? { ...previous?.servers } : {};
  for (const id of targets) {
    const entry = captured.get(id)?.entry ?? previous?.servers[id];
    if (entry) servers[id] = entry;
  }
  // Nothing new to write when every server failed: the lock on disk (if any) stays as it was.
  const written = captured.size > 0;
  if (written) await writeLock(path, { lockfileVersion: 1, servers });
  const outcomes: ServerOutcome[] = [];
  for (const id of targets) {
    const one = captured.get(id);
    const failure = failed.get(id);
    if (one) outcomes.push({ kind: 'locked', id, counts: countsOf(one.entry) });
    else if (failure)
      outcomes.push({ kind: 'failed', id, failure, kept: previous?.servers[id] !== undefined });
  }
  const report = formatLockReport({
    outcomes,
    dropped:
      partial || !written
        ? []
        : Object.keys(previous?.servers ?? {}).filter((id) => !known.includes(id)),
    stale: partial ? Object.keys(servers).filter((id) => !known.includes(id)) : [],
    ...(written && { written: { path, servers: Object.keys(servers).length } }),
  });
  for (const line of report) progress(line);
  return failed.size === 0 ? 0 : 1;
};

/** Each target started and captured on its own, with a progress line and its timing. */
const captureEach = async (
  configPath: string,
  config: Config,
  targets: readonly string[],
  flags: LockFlags,
  previous: Lock | undefined,
) => {
  const captured = new Map<string, { entry: LockServer; captured: Captured }>();
  const failed = new Map<string, LockFailure>();
  for (const [i, id] of targets.entries()) {
    const stderr = stderrTail();
    const started = performance.now();
    if (targets.length > 1) progress(`[${i + 1}/${targets.length}] ${id}`);
    try {
      const before = previous?.servers[id]?.package;
      const one = await lockOne(configPath, config, id, flags.allowUnpinned, stderr.push, before);
      captured.set(id, one);
      progress(`${id}: done in ${seconds(started)}`);
    } catch (error) {
      failed.set(id, toFailure(config, id, error, stderr.lines));
      progress(`${id}: failed after ${seconds(started)}`);
    }
  }
  return { captured, failed };
};

const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/**
 * The lock before this run. A partial lock keeps the others' entries, so it needs a valid one (a bad
 * lock is an error); a full lock replaces everything, so a bad one is only ignored (and said so).
 */
const previousLock = async (path: string, partial: boolean): Promise<Lock | undefined> => {
  try {
    return await readLock(path);
  } catch (error) {
    if (partial || !(error instanceof LockError)) throw error;
    progress(
      `${error.code}: ${error.message}; the existing lock is ignored: no previous pins are kept`,
    );
    return undefined;
  }
};

export const lockCommand = () =>
  new Command('lock')
    .description(
      'start every server (or the named ones), verify its package, score every definition with the ' +
        'detector, write toolgate.lock; a server that fails keeps its previous pins (or stays out), ' +
        'the others are written (exit 1 if any failed, 2 on an unknown name)',
    )
    .argument('[SERVER...]', 'lock only these servers')
    .addOption(configOption())
    .option('--allow-unpinned', 'resolve an unpinned npm spec to one exact version')
    .option('--allow-blocked', 'lock definitions the content detector blocks (after review)')
    .action(async (names, opts) =>
      done(
        await lock(opts.config, names, {
          allowUnpinned: opts.allowUnpinned === true,
          allowBlocked: opts.allowBlocked === true,
        }),
      ),
    );
