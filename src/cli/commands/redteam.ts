import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { configSha256 } from '../../check/probe-redteam.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { GatewayError, RedteamError } from '../../errors.js';
import { anyNotBlocked, toJson, toTable } from '../../redteam/format.js';
import { redteam as runRedteam, type RedteamReport } from '../../redteam/run.js';

export const REDTEAM_USAGE = `  toolgate redteam --config FILE [--format table|json]
                                               attack a gateway with your defenses and toolgate's
                                               hostile servers (exit 1 if any attack is NOT BLOCKED,
                                               or the run cannot be set up; 2 on a usage error or
                                               a config that cannot be read)`;

const usage = (message: string): number => {
  console.error(`toolgate redteam: ${message}\n${REDTEAM_USAGE}`);
  return 2;
};

/** `toolgate redteam`: stages the hostile servers beside the user's defenses, attacks, prints the report. */
export const redteam = async (argv: readonly string[]): Promise<number> => {
  let values: { config?: string; format?: string };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        format: { type: 'string', default: 'table' },
      },
    }));
  } catch (error) {
    return usage((error as Error).message);
  }
  const { config: configPath, format } = values;
  if (configPath === undefined) return usage('--config FILE is required');
  if (format !== 'table' && format !== 'json')
    return usage(`--format must be table or json, not ${format}`);
  let config: Config;
  try {
    config = await loadConfig(configPath);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    console.error(`toolgate redteam: ${error.code}: ${error.message}`);
    return 2;
  }
  let report: RedteamReport;
  try {
    report = await runRedteam(config, configPath);
  } catch (error) {
    if (!(error instanceof RedteamError)) throw error;
    console.error(`toolgate redteam: ${error.code}: ${error.message}`);
    return 1;
  }
  const attacked = { path: resolve(configPath), sha256: await configSha256(configPath) };
  console.log(format === 'json' ? toJson(report, attacked, new Date()) : toTable(report));
  return anyNotBlocked(report) ? 1 : 0;
};
