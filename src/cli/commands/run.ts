import { loadConfig } from '../../config/load.js';
import { Gateway } from '../../gateway.js';
import { serveStdioFront } from '../../proxy/stdio-front.js';
import { logEvent, logLine } from '../log.js';
import { loadPinRuntime } from './pin-runtime.js';

/** `toolgate run --config FILE`: the gateway as a stdio MCP server for one local client. */
export const run = async (configPath: string, noLock = false): Promise<void> => {
  const { config, options } = await loadPinRuntime(configPath, await loadConfig(configPath), noLock, logEvent);
  const gateway = new Gateway(config, options);
  const front = serveStdioFront(gateway);
  const { ready, failed } = await gateway.start();
  logLine(failed.length ? 'warn' : 'info', 'gateway started', { front: 'stdio', ready, failed });
  const shutdown = async () => {
    await front.close().catch(() => undefined);
    await gateway.stop();
    process.exit(0);
  };
  process.stdin.once('end', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
};
