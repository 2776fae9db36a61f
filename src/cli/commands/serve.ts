import { loadConfig } from '../../config/load.js';
import { Gateway } from '../../gateway.js';
import { serveHttpFront } from '../../proxy/http-front.js';
import { logEvent, logLine } from '../log.js';
import { loadPinRuntime } from './pin-runtime.js';
import { withAudit } from './audit-runtime.js';

/** `HOST:PORT`, `[v6]:PORT`, or a bare `PORT` (loopback: a bare port never binds every interface). */
export const parseListen = (listen: string): { host: string; port: number } => {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(listen);
  const port = Number(m?.[2]);
  if (!m || port > 65535) throw new Error(`--listen must be HOST:PORT or PORT, got "${listen}"`);
  const host = m[1] ?? '127.0.0.1';
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port };
};

/** `toolgate serve --config FILE --listen HOST:PORT`: the gateway as a Streamable HTTP server at /mcp. */
export const serve = async (configPath: string, listen: string, noLock = false): Promise<void> => {
  const pinned = await loadPinRuntime(configPath, await loadConfig(configPath), noLock, logEvent);
  const { config } = pinned;
  const audit = withAudit(configPath, config, pinned.options);
  const { options } = audit;
  const where = parseListen(listen);
  const gateway = new Gateway(config, options);
  const { ready, failed } = await gateway.start();
  const front = await serveHttpFront(gateway, where, (error) =>
    logLine('warn', 'http front error', { error: error.message, stack: error.stack?.split('\n').slice(0, 4).join(' | ') }),
  );
  logLine(failed.length ? 'warn' : 'info', 'gateway listening', {
    front: 'http',
    url: front.url,
    address: front.address.address,
    port: front.address.port,
    ready,
    failed,
  });
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await front.close().catch(() => undefined);
    await gateway.stop();
    await audit.close();
    logLine('info', 'gateway stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
};
