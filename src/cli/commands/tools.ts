import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { isGatewayError, LockError } from '../../errors.js';
import type { Lock } from '../../pins/lock.js';
import { lockPathOf, readLock } from '../../pins/store.js';
import { toListingJson, toListingTable } from '../../tools/format.js';
import { listItems, type LiveServer } from '../../tools/list.js';
import { captureLocked } from './diff.js';

export const TOOLS_USAGE = `  toolgate tools --config FILE [--server S] [--format table|json] [--live]
                                               what an agent would see, from the config and the lock
                                               (starts nothing): each locked tool, prompt and resource,
                                               visible or hidden with the reason and its code; --live
                                               starts each locked server as lock does and compares
                                               what it lists now with the lock`;

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

const usage = (message: string): number => {
  console.error(`toolgate tools: ${message}\n${TOOLS_USAGE}`);
  return 2;
};

/**
 * `toolgate tools`: the listing of tools/list.ts, printed. Exit 0; 2 on a usage error; 1 when the
 * config or the lock cannot be read (thrown as a GatewayError, which main prints with its code).
 */
export const tools = async (argv: readonly string[]): Promise<number> => {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: {
        config: { type: 'string', short: 'c', default: 'toolgate.yaml' },
        server: { type: 'string' },
        format: { type: 'string', default: 'table' },
        live: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  const { config: configPath, server, format, live } = parsed.values;
  if (format !== 'table' && format !== 'json')
    return usage(`unknown --format "${format}" (table or json)`);
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
