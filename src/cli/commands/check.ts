import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { probeEnvironment, readLockState } from '../../check/probe.js';
import { readRedteamState } from '../../check/probe-redteam.js';
import { scoreDeployment } from '../../check/score.js';
import { summarize, toJson, toTable } from '../../check/format.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { GatewayError } from '../../errors.js';

export const CHECK_USAGE = `  toolgate check --config FILE [--format table|json] [--fail-on fail|warn] [--redteam REPORT]
                                               score the deployment against the 12-point checklist
                                               (item 12 reads REPORT, default toolgate-redteam.json beside
                                               the config; exit 1 if an item fails, or warns with --fail-on warn;
                                               2 on a usage error or a config that cannot be read)`;

const usage = (message: string): number => {
  console.error(`toolgate check: ${message}\n${CHECK_USAGE}`);
  return 2;
};

/** `toolgate check`: reads the config, the lock and the host, scores them, prints the report. */
export const check = async (argv: readonly string[]): Promise<number> => {
  let values: { config?: string; format?: string; 'fail-on'?: string; redteam?: string };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        format: { type: 'string', default: 'table' },
        'fail-on': { type: 'string', default: 'fail' },
        redteam: { type: 'string' },
      },
    }));
  } catch (error) {
    return usage((error as Error).message);
  }
  const { config: configPath, format, 'fail-on': failOn } = values;
  if (configPath === undefined) return usage('--config FILE is required');
  if (format !== 'table' && format !== 'json')
    return usage(`--format must be table or json, not ${format}`);
  if (failOn !== 'fail' && failOn !== 'warn')
    return usage(`--fail-on must be fail or warn, not ${failOn}`);
  let config: Config;
  try {
    config = await loadConfig(configPath);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    console.error(`toolgate check: ${error.code}: ${error.message}`);
    return 2;
  }
  const [lock, environment, redteam] = await Promise.all([
    readLockState(configPath, config),
    probeEnvironment(configPath, config),
    readRedteamState(configPath, values.redteam),
  ]);
  const results = scoreDeployment({
    ...{ config, configPath, lock, environment, redteam },
    now: new Date(),
  });
  console.log(format === 'json' ? toJson(results, resolve(configPath)) : toTable(results));
  const { warn, fail } = summarize(results);
  return fail > 0 || (failOn === 'warn' && warn > 0) ? 1 : 0;
};
