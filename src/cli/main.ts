#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { GatewayError } from '../errors.js';
import { toJsonSchema } from '../config/schema.js';
import { VERSION } from '../version.js';
import { approve } from './commands/approve.js';
import { diff } from './commands/diff.js';
import { lock } from './commands/lock.js';
import { toLockJsonSchema } from '../pins/lock.js';
import { run } from './commands/run.js';
import { audit, AUDIT_USAGE, init } from './commands/audit.js';
import { serve } from './commands/serve.js';
import { inspect } from './commands/inspect.js';
import { check, CHECK_USAGE } from './commands/check.js';
import { initFrom, INIT_FROM_USAGE } from './commands/init-from.js';
import { scan, SCAN_USAGE } from './commands/scan.js';
import { sbom, SBOM_USAGE } from './commands/sbom.js';
import { deps, DEPS_USAGE } from './commands/deps.js';
import { tools, TOOLS_USAGE } from './commands/tools.js';
import { policy, POLICY_USAGE } from './commands/policy.js';
import { approvals, APPROVALS_USAGE } from './commands/approvals.js';
import { redteam, REDTEAM_USAGE } from './commands/redteam.js';

const USAGE = `toolgate ${VERSION} — MCP security gateway

Usage:
  toolgate run   --config FILE [--no-lock]     serve MCP over stdio to one local client
  toolgate serve --config FILE [--listen H:P] [--no-lock] [--insecure-no-auth]
                                               serve Streamable HTTP at /mcp (default 127.0.0.1:8787)
  toolgate lock  --config FILE [SERVER...] [--allow-unpinned] [--allow-blocked]
                                               start every server (or the named ones), verify its
                                               package, score every definition with the detector,
                                               write toolgate.lock; a server that fails keeps its
                                               previous pins (or stays out), the others are written
                                               (exit 1 if any failed, 2 on an unknown name)
  toolgate diff  --config FILE [SERVER]        what changed live since the lock (exit 1 on changes)
  toolgate approve --config FILE SERVER[/ITEM] [--allow-blocked]
                                               take the reviewed live state into the lock
  toolgate schema [--lock]                     print the config (or lock) JSON Schema
  toolgate inspect [FILE|-] [--ndjson]         content defenses on recorded MCP frames (--ndjson: {id,message} in, {id,action,reasons} out)
${CHECK_USAGE}
${REDTEAM_USAGE}
${INIT_FROM_USAGE}
${AUDIT_USAGE}
${SCAN_USAGE}
${SBOM_USAGE}
${DEPS_USAGE}
${TOOLS_USAGE}
${POLICY_USAGE}
${APPROVALS_USAGE}
  toolgate --version`;

const main = async (argv: readonly string[]): Promise<number> => {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  if (argv[0] === 'audit') return audit(argv.slice(1)); // own options (audit.ts)
  if (
    argv[0] === 'init' &&
    argv.some((a) => a === '--from' || a.startsWith('--from=') || a === '--tools')
  )
    return initFrom(argv.slice(1));
  if (argv[0] === 'init') return init(argv.slice(1));
  if (argv[0] === 'inspect') return inspect(argv.slice(1));
  if (argv[0] === 'check') return check(argv.slice(1)); // own options (check.ts)
  if (argv[0] === 'redteam') return redteam(argv.slice(1)); // own options (redteam.ts)
  if (argv[0] === 'scan') return scan(argv.slice(1)); // own options (scan.ts)
  if (argv[0] === 'sbom') return sbom(argv.slice(1)); // own options (sbom.ts)
  if (argv[0] === 'deps') return deps(argv.slice(1)); // own options (deps.ts)
  if (argv[0] === 'tools') return tools(argv.slice(1)); // own options (tools.ts)
  if (argv[0] === 'policy') return policy(argv.slice(1)); // own options (policy.ts)
  if (argv[0] === 'approvals') return approvals(argv.slice(1)); // own options (approvals.ts)
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c', default: 'toolgate.yaml' },
      listen: { type: 'string', default: '127.0.0.1:8787' },
      'no-lock': { type: 'boolean', default: false },
      'insecure-no-auth': { type: 'boolean', default: false },
      'allow-unpinned': { type: 'boolean', default: false },
      'allow-blocked': { type: 'boolean', default: false },
      lock: { type: 'boolean', default: false },
      version: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.version) {
    console.log(VERSION);
    return 0;
  }
  const [command, arg] = positionals;
  const noLock = values['no-lock'] === true;
  const lockFlags = {
    allowUnpinned: values['allow-unpinned'] === true,
    allowBlocked: values['allow-blocked'] === true,
  };
  switch (command) {
    case 'run':
      await run(values.config, noLock);
      return -1;
    case 'serve':
      await serve(values.config, values.listen, noLock, values['insecure-no-auth'] === true);
      return -1;
    case 'lock':
      return lock(values.config, positionals.slice(1), lockFlags);
    case 'diff':
      return diff(values.config, arg);
    case 'approve':
      return approve(values.config, arg, lockFlags);
    case 'schema':
      console.log(JSON.stringify(values.lock ? toLockJsonSchema() : toJsonSchema(), null, 2));
      return 0;
    default:
      console.log(USAGE);
      return values.help ? 0 : 2;
  }
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
