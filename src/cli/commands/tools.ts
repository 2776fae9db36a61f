import { Command, Option } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { isGatewayError, LockError } from '../../errors.js';
import type { Lock } from '../../pins/lock.js';
import { lockPathOf, readLock } from '../../pins/store.js';
import { toListingJson, toListingTable } from '../../tools/format.js';
import { listItems, type LiveServer } from '../../tools/list.js';
import { captureLocked } from './diff.js';
import { configOption, done, usageError } from '../program.js';

const TOOLS_DESCRIPTION =
  'what an agent would see, from the config and the lock (starts nothing): each locked tool, ' +
  'prompt and resource, visible or hidden with the reason and its code; --live starts each ' +
  'locked server as lock does and compares what it lists now with the lock';

/** `--live`: each locked server started as `toolgate lock`/`diff` do (package checked first), one after another. */
const captureAll = async (
  configPath: string,
  config: Config,
  lock: Lock,
  only: string | undefined,
): Promise<Map<string, LiveServer>> => {
  const live = new Map<string, LiveServer>();
  for (const id of Object.keys(config.servers)) {
    if ((only !== undefined && id !== only) || lock.servers[id] === undefined) continue;
    try {
      live.set(id, { captured: await captureLocked(configPath, config, lock, id) });
    } catch (error) {
      live.set(id, {
        error: {
          code: isGatewayError(error) ? error.code : 'LOCK_SERVER_FAILED',
          message: (error as Error).message,
        },
      });
    }
  }
  return live;
};

/**
 * `toolgate tools`: the listing of tools/list.ts, printed. Exit 0; 2 on a usage error; 1 when the
 * config or the lock cannot be read (thrown as a GatewayError, which main prints with its code).
 */
const tools = async (
  values: { config: string; server?: string | undefined; format: 'table' | 'json'; live?: true },
  usage: (message: string) => never,
): Promise<number> => {
  const { config: configPath, server, format, live } = values;
  const config = await loadConfig(configPath);
  if (server !== undefined && !Object.hasOwn(config.servers, server))
    return usage(
      `no server "${server}" in ${configPath}; its servers: ${Object.keys(config.servers).join(', ') || '(none)'}`,
    );
  const lockPath = lockPathOf(configPath, config);
  const lock = await readLock(lockPath);
  if (lock === undefined)
    throw new LockError(
      'LOCK_MISSING',
      `no lock at ${lockPath}: run "toolgate lock --config ${configPath}" first`,
    );
  const listing = listItems(
    config,
    lock,
    server,
    live ? await captureAll(configPath, config, lock, server) : undefined,
  );
  console.log(format === 'json' ? toListingJson(listing) : toListingTable(listing));
  return 0;
};

export const toolsCommand = () =>
  new Command('tools')
    .description(TOOLS_DESCRIPTION)
    .addOption(configOption())
    .option('--server <SERVER>', 'only this server')
    .addOption(new Option('--format <FORMAT>').choices(['table', 'json'] as const).default('table'))
    .option('--live', 'start each locked server and compare what it lists now with the lock')
    .action(async (opts, command) =>
      done(await tools(opts, (message) => usageError(command, message))),
    );
