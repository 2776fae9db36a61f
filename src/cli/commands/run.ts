import { Command } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/load.js';
import { createGateway } from '../../gateway/create-gateway.js';
import { serveStdioFront } from '../../front/stdio-front.js';
import { logEvent } from '../log.js';
import { logLine } from '../../log.js';
import { superviseGateway } from './lifecycle.js';
import { configOption, done } from '../program.js';

/** `toolgate run --config FILE`: the gateway as a stdio MCP server for one local client. */
const run = async (configPath: string, noLock = false): Promise<void> => {
  const runtime = await createGateway(await loadConfig(configPath), {
    configPath,
    noLock,
    log: logEvent,
  });
  const front = serveStdioFront(runtime.gateway);
  const starting = runtime.start();
  // Listening before the upstreams are up: a client that hangs up during a slow start still stops the
  // gateway (stdin's 'end' is emitted once; a listener added after it would wait forever).
  const { shutdown } = superviseGateway(runtime, () => front.close());
  process.stdin.once('end', () => void shutdown('stdin closed'));
  const { ready, failed } = await starting;
  logLine(failed.length ? 'warn' : 'info', 'gateway started', { front: 'stdio', ready, failed });
};

export const runCommand = () =>
  new Command('run')
    .description('serve MCP over stdio to one local client (logs on stderr)')
    .addOption(configOption())
    .option('--no-lock', 'start without enforcing toolgate.lock')
    .action(async (opts) => {
      await run(opts.config, !opts.lock);
      done(-1);
    });
