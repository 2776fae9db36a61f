#!/usr/bin/env node
import {
  Command,
  CommanderError,
  Option,
  type CommandUnknownOpts,
} from '@commander-js/extra-typings';
import { GatewayError } from '../errors.js';
import { configureLog, LOG_FORMATS, LOG_LEVELS } from '../log.js';
import { VERSION } from '../version.js';
import { approveCommand } from './commands/approve.js';
import { diffCommand } from './commands/diff.js';
import { lockCommand } from './commands/lock.js';
import { runCommand } from './commands/run.js';
import { auditCommand } from './commands/audit-command.js';
import { serveCommand } from './commands/serve.js';
import { inspectCommand } from './commands/inspect.js';
import { checkCommand } from './commands/check.js';
import { initCommand } from './commands/init.js';
import { scanCommand } from './commands/scan.js';
import { sbomCommand } from './commands/sbom.js';
import { depsCommand } from './commands/deps.js';
import { toolsCommand } from './commands/tools.js';
import { policyCommand } from './commands/policy.js';
import { approvalsCommand } from './commands/approvals.js';
import { redteamCommand } from './commands/redteam.js';
import { schemaCommand } from './commands/schema.js';
import { storeCommand } from './commands/store.js';
import { completionCommand } from './completion.js';
import { exitCode } from './program.js';

/** Every command, in the order `toolgate --help` lists them; each defines its own options beside its code. */
const COMMANDS = [
  runCommand,
  serveCommand,
  lockCommand,
  diffCommand,
  storeCommand,
  approveCommand,
  toolsCommand,
  initCommand,
  checkCommand,
  scanCommand,
  depsCommand,
  sbomCommand,
  redteamCommand,
  auditCommand,
  approvalsCommand,
  policyCommand,
  inspectCommand,
  schemaCommand,
];

/** Commands added (not created) by their parent inherit nothing: error handling and help settings, down the tree. */
const inherit = <C extends CommandUnknownOpts>(command: C, parent: CommandUnknownOpts): C => {
  command.copyInheritedSettings(parent);
  for (const sub of command.commands) inherit(sub, parent);
  return command;
};

/** The whole command line: global options (logging), then one subcommand. */
const buildProgram = () => {
  const program = new Command('toolgate')
    .description('MCP security gateway: deny by default, failing closed')
    .version(VERSION, '-V, --version')
    .addOption(
      new Option('--log-format <FORMAT>', 'log lines on stderr (default: pretty on a terminal)')
        .choices(LOG_FORMATS)
        .env('TOOLGATE_LOG_FORMAT'),
    )
    .addOption(
      new Option('--log-level <LEVEL>', 'least severe level logged')
        .choices(LOG_LEVELS)
        .env('TOOLGATE_LOG_LEVEL'),
    )
    .addOption(new Option('-q, --quiet', 'log errors only').conflicts('logLevel'))
    .showSuggestionAfterError()
    .showHelpAfterError()
    .exitOverride();
  for (const make of COMMANDS) program.addCommand(inherit(make(), program));
  program.addCommand(inherit(completionCommand(program), program));
  program.hook('preAction', () => {
    const { logFormat, logLevel, quiet } = program.opts();
    configureLog({ format: logFormat, level: quiet ? 'error' : logLevel });
  });
  return program;
};

/** Parses and runs; a usage error (unknown command or option, bad value, missing subcommand) is exit 2. */
const main = async (argv: readonly string[]): Promise<number> => {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  return exitCode();
};

/**
 * Exits once what was printed has left: writes to a pipe are asynchronous, and `process.exit` at once
 * would cut `toolgate audit export | ...` short. An empty write calls back after the writes before it.
 */
const exit = (code: number) =>
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) exit(code);
  },
  (error: unknown) => {
    if (error instanceof GatewayError) console.error(`toolgate: ${error.code}: ${error.message}`);
    else console.error(`toolgate: ${(error as Error).message}`);
    exit(1);
  },
);
