import { resolve } from 'node:path';
import { configSha256 } from '../../check/probe-redteam.js';
import { Command, Option } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { GatewayError, RedteamError } from '../../errors.js';
import { anyNotBlocked, toJson, toTable } from '../../redteam/format.js';
import { done, requiredConfigOption, usageError } from '../program.js';
import { redteam as runRedteam, type RedteamReport } from '../../redteam/run.js';

/** `toolgate redteam`: stages the hostile servers beside the user's defenses, attacks, prints the report. */
const redteam = async (configPath: string, format: 'table' | 'json'): Promise<number> => {
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

export const redteamCommand = () =>
  new Command('redteam')
    .description(
      "attack a gateway with your defenses and toolgate's hostile servers (exit 1 if any attack is " +
        'NOT BLOCKED, or the run cannot be set up; 2 on a usage error or a config that cannot be read)',
    )
    .addOption(requiredConfigOption())
    .addOption(new Option('--format <FORMAT>').choices(['table', 'json'] as const).default('table'))
    .action(async (opts, command) =>
      done(
        await redteam(opts.config ?? usageError(command, '--config FILE is required'), opts.format),
      ),
    );
