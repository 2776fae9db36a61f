import { resolve } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { probeEnvironment, readLockState } from '../../check/probe.js';
import { readAdvisoryState } from '../../check/probe-advisories.js';
import { readRedteamState } from '../../check/probe-redteam.js';
import { scoreDeployment } from '../../check/score.js';
import { summarize, toJson, toTable } from '../../check/format.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { GatewayError } from '../../errors.js';
import { done, requiredConfigOption, usageError } from '../program.js';

/** `toolgate check`: reads the config, the lock and the host, scores them, prints the report. */
const check = async (
  configPath: string,
  format: 'table' | 'json',
  failOn: 'fail' | 'warn',
  redteamReport: string | undefined,
): Promise<number> => {
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
    readRedteamState(configPath, redteamReport),
  ]);
  const now = new Date();
  const advisories = await readAdvisoryState(configPath, config, lock, now);
  const results = scoreDeployment({
    ...{ config, configPath, lock, environment, redteam, advisories },
    now,
  });
  console.log(format === 'json' ? toJson(results, resolve(configPath)) : toTable(results));
  const { warn, fail } = summarize(results);
  return fail > 0 || (failOn === 'warn' && warn > 0) ? 1 : 0;
};

export const checkCommand = () =>
  new Command('check')
    .description(
      'score the deployment against the 12-point checklist (item 9 reads the advisories: data as a ' +
        'start would; item 12 reads the red-team REPORT, ' +
        'default toolgate-redteam.json beside the config; exit 1 if an item fails, or warns with ' +
        '--fail-on warn; 2 on a usage error or a config that cannot be read)',
    )
    .addOption(requiredConfigOption())
    .addOption(new Option('--format <FORMAT>').choices(['table', 'json'] as const).default('table'))
    .addOption(
      new Option('--fail-on <LEVEL>', 'exit 1 from this result on')
        .choices(['fail', 'warn'] as const)
        .default('fail'),
    )
    .option('--redteam <REPORT>', 'the `toolgate redteam --format json` report item 12 reads')
    .action(async (opts, command) =>
      done(
        await check(
          opts.config ?? usageError(command, '--config FILE is required'),
          opts.format,
          opts.failOn,
          opts.redteam,
        ),
      ),
    );
