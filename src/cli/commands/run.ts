import { loadConfig } from '../../config/load.js';
import { Gateway } from '../../gateway/gateway.js';
import { serveStdioFront } from '../../front/stdio-front.js';
import { logEvent } from '../log.js';
import { logLine } from '../../log.js';
import { loadPinRuntime } from '../../gateway/pin-runtime.js';
import { loadPolicy } from '../../authz/load.js';
import { withAudit } from '../../gateway/audit-runtime.js';
import { superviseGateway } from './lifecycle.js';

/** `toolgate run --config FILE`: the gateway as a stdio MCP server for one local client. */
export const run = async (configPath: string, noLock = false): Promise<void> => {
  const pinned = await loadPinRuntime(configPath, await loadConfig(configPath), noLock, logEvent);
  const { config } = pinned;
  const policy = await loadPolicy(configPath, config);
  const audit = withAudit(configPath, config, { ...pinned.options, policy });
  const gateway = new Gateway(config, audit.options);
  const front = serveStdioFront(gateway);
  const starting = gateway.start();
  // Listening before the upstreams are up: a client that hangs up during a slow start still stops the
  // gateway (stdin's 'end' is emitted once; a listener added after it would wait forever).
  const { shutdown } = superviseGateway({
    configPath,
    noLock,
    gateway,
    audit,
    starting,
    closeFront: () => front.close(),
  });
  process.stdin.once('end', () => void shutdown('stdin closed'));
  const { ready, failed } = await starting;
  logLine(failed.length ? 'warn' : 'info', 'gateway started', { front: 'stdio', ready, failed });
};
