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
import { completionCommand } from './completion.js';
import { exitCode } from './program.js';

/**
 * Every command, in the order `toolgate --help` lists them; each defines its own options beside its code.
 * Loaded on demand: a command's module pulls in what it runs (the SDK, zod, Cedar, sigstore, pacote),
 * and a process runs one command, so it loads that one only.
 */
const COMMANDS: Readonly<Record<string, () => Promise<CommandUnknownOpts>>> = {
  run: async () => (await import('./commands/run.js')).runCommand(),
  serve: async () => (await import('./commands/serve.js')).serveCommand(),
  lock: async () => (await import('./commands/lock.js')).lockCommand(),
  diff: async () => (await import('./commands/diff.js')).diffCommand(),
  store: async () => (await import('./commands/store.js')).storeCommand(),
  approve: async () => (await import('./commands/approve.js')).approveCommand(),
  tools: async () => (await import('./commands/tools.js')).toolsCommand(),
  init: async () => (await import('./commands/init.js')).initCommand(),
  check: async () => (await import('./commands/check.js')).checkCommand(),
  scan: async () => (await import('./commands/scan.js')).scanCommand(),
  deps: async () => (await import('./commands/deps.js')).depsCommand(),
  sbom: async () => (await import('./commands/sbom.js')).sbomCommand(),
  redteam: async () => (await import('./commands/redteam.js')).redteamCommand(),
  audit: async () => (await import('./commands/audit-command.js')).auditCommand(),
  approvals: async () => (await import('./commands/approvals.js')).approvalsCommand(),
  policy: async () => (await import('./commands/policy.js')).policyCommand(),
  inspect: async () => (await import('./commands/inspect.js')).inspectCommand(),
  schema: async () => (await import('./commands/schema.js')).schemaCommand(),
};

/** Global options that may come before the command, and those of them that take a value. */
const GLOBAL = /^(?:-q|--quiet|--log-(?:format|level)=.*)$/;
const GLOBAL_WITH_VALUE = new Set(['--log-format', '--log-level']);

/**
 * The commands a command line needs: the one it names, when only global options come before it; none
 * for the version alone; every command otherwise (help, completion and usage errors list them all).
 */
const commandsFor = (argv: readonly string[]): readonly string[] => {
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (GLOBAL_WITH_VALUE.has(arg)) i++;
    else if (arg === '-V' || arg === '--version') version = true;
    else if (GLOBAL.test(arg)) continue;
    else return !version && Object.hasOwn(COMMANDS, arg) ? [arg] : Object.keys(COMMANDS);
  }
  return version ? [] : Object.keys(COMMANDS);
};

/** Commands added (not created) by their parent inherit nothing: error handling and help settings, down the tree. */
const inherit = <C extends CommandUnknownOpts>(command: C, parent: CommandUnknownOpts): C => {
  command.copyInheritedSettings(parent);
  for (const sub of command.commands) inherit(sub, parent);
  return command;
};

/** The command line: global options (logging), then the subcommands `argv` needs. */
const buildProgram = async (argv: readonly string[]) => {
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
  const names = commandsFor(argv);
  const commands = await Promise.all(names.flatMap((name) => COMMANDS[name]?.() ?? []));
  for (const command of commands) program.addCommand(inherit(command, program));
  if (names.length > 1) program.addCommand(inherit(completionCommand(program), program));
  program.hook('preAction', () => {
    const { logFormat, logLevel, quiet } = program.opts();
    configureLog({ format: logFormat, level: quiet ? 'error' : logLevel });
  });
  return program;
};

/** Parses and runs; a usage error (unknown command or option, bad value, missing subcommand) is exit 2. */
const main = async (argv: readonly string[]): Promise<number> => {
  try {
    await (await buildProgram(argv)).parseAsync([...argv], { from: 'user' });
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
