import { loadConfig } from '../../config/load.js';
import { Gateway } from '../../gateway.js';
import { serveStdioFront } from '../../proxy/stdio-front.js';
import { logEvent, logLine } from '../log.js';

/** `toolgate run --config FILE`: the gateway as a stdio MCP server for one local client. */
export const run = async (configPath: string): Promise<void> => {
  const config = await loadConfig(configPath);
  const gateway = new Gateway(config, { onEvent: logEvent });
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
