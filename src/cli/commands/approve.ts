import { Command } from '@commander-js/extra-typings';
import { configOption, done } from '../program.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { LockError } from '../../errors.js';
import { ITEM_KIND_NAMES, type ItemKind } from '../../pins/hash.js';
import { toInitializeRecord, toLockItem, type Lock } from '../../pins/lock.js';
import { writeLock } from '../../pins/store.js';
import { announceLockChange } from '../../cluster/lock-watch.js';
import { captureLocked, requireLock } from './diff.js';
import type { LockFlags } from './lock.js';
import { lockOne, progress, screen, stderrTail, toFailure } from './lock-one.js';
import { formatFailure } from './lock-report.js';

/** What approving needs to know: the config, the lock as read, and where to write it back. */
interface Approval {
  readonly configPath: string;
  readonly config: Config;
  readonly path: string;
  readonly lockFile: Lock;
  readonly id: string;
  readonly flags: LockFlags;
}

/**
 * `toolgate approve SERVER[/KIND/ITEM]`: after review, takes the live state into the lock. A whole
 * server is re-locked (package re-verified too); a single item (`tools/echo`, or just `echo`) is
 * updated, added or removed alone, leaving every other pin as it was.
 */
const approve = async (
  configPath: string,
  target: string | undefined,
  flags: LockFlags,
): Promise<number> => {
  if (!target) throw new LockError('LOCK_SERVER_MISSING', 'usage: toolgate approve SERVER[/ITEM]');
  const config = await loadConfig(configPath);
  const { path, lock: lockFile } = await requireLock(configPath, config);
  const slash = target.indexOf('/');
  const id = slash < 0 ? target : target.slice(0, slash);
  const approval = { configPath, config, path, lockFile, id, flags };
  if (slash < 0 || !lockFile.servers[id]) return approveServer(approval);
  return approveItem(approval, target.slice(slash + 1));
};

/** The tool names of every other locked server: an approved tool must not shadow one of them. */
const othersOf = ({ lockFile, id }: Approval) =>
  new Map(
    Object.entries(lockFile.servers)
      .filter(([other]) => other !== id)
      .map(([other, s]) => [other, Object.keys(s.tools)] as const),
  );

/** Re-locks a whole server, package included; a failure leaves the lock as it was. */
const approveServer = async (approval: Approval): Promise<number> => {
  const { configPath, config, lockFile, id, flags } = approval;
  if (!config.servers[id])
    throw new LockError('LOCK_SERVER_MISSING', `no server "${id}" in ${configPath}`);
  const stderr = stderrTail();
  let one;
  try {
    one = await lockOne(configPath, config, id, flags.allowUnpinned, stderr.push);
    screen(config, new Map([[id, one.captured]]), othersOf(approval), flags.allowBlocked);
  } catch (error) {
    // Reported as `lock` reports it (code, stderr tail, hints); the lock is left as it was.
    for (const line of formatFailure(id, toFailure(config, id, error, stderr.lines)))
      progress(line);
    return 1;
  }
  lockFile.servers[id] = one.entry;
  await storeLock(approval);
  progress(`approved server ${id} as it is now`);
  return 0;
};

/** Writes the lock back and, with `cluster.redis`, tells every replica to reload it (CLU-8). */
const storeLock = async ({ config, path, lockFile }: Approval): Promise<void> => {
  await writeLock(path, lockFile);
  if (!config.cluster) return;
  try {
    const replicas = await announceLockChange(config.cluster.redis, config.cluster.prefix);
    progress(`announced the lock change to ${replicas} running replica(s)`);
  } catch (error) {
    progress(
      `could not announce the lock change (${(error as Error).message}): replicas reload when they see the file change`,
    );
  }
};

const noItems = () => ({ tools: {}, prompts: {}, resources: {}, resourceTemplates: {} });

/** Takes one live item (`KIND/NAME`, `NAME` in whatever kinds have it, or `initialize`) into the lock. */
const approveItem = async (approval: Approval, rest: string): Promise<number> => {
  const { configPath, config, lockFile, id, flags } = approval;
  const kindSlash = rest.indexOf('/');
  const named = ITEM_KIND_NAMES.find((k) => kindSlash > 0 && rest.slice(0, kindSlash) === k);
  const key = named ? rest.slice(kindSlash + 1) : rest;
  const live = await captureLocked(configPath, config, lockFile, id);
  const entry = lockFile.servers[id];
  if (!entry) throw new LockError('LOCK_SERVER_MISSING', `server "${id}" is not in the lock`);
  const kinds: ItemKind[] = named
    ? [named]
    : ITEM_KIND_NAMES.filter((k) => key in live.items[k] || key in entry[k]);
  if (key === 'initialize' && !named) {
    const input = { initialize: live.initialize, items: noItems() };
    screen(config, new Map([[id, input]]), othersOf(approval), flags.allowBlocked);
    entry.initialize = toInitializeRecord(live.initialize);
  } else {
    if (kinds.length === 0)
      throw new LockError(
        'LOCK_SERVER_MISSING',
        `server "${id}" has no item "${key}", live or locked`,
      );
    const only: Record<ItemKind, Record<string, Record<string, unknown>>> = noItems();
    for (const kind of kinds) if (live.items[kind][key]) only[kind][key] = live.items[kind][key];
    const input = { initialize: {}, items: only };
    screen(config, new Map([[id, input]]), othersOf(approval), flags.allowBlocked);
    for (const kind of kinds) {
      const definition = live.items[kind][key];
      if (definition) entry[kind][key] = toLockItem(definition);
      else delete entry[kind][key];
    }
  }
  await storeLock(approval);
  progress(`approved ${id}/${key}`);
  return 0;
};

export const approveCommand = () =>
  new Command('approve')
    .description('take the reviewed live state of a server (or one item) into the lock')
    .argument('<SERVER[/ITEM]>', 'a server, or one of its items (tools/echo, or echo)')
    .addOption(configOption())
    .option('--allow-blocked', 'lock definitions the content detector blocks (after review)')
    .action(async (target, opts) =>
      done(
        await approve(opts.config, target, {
          allowUnpinned: false,
          allowBlocked: opts.allowBlocked === true,
        }),
      ),
    );
