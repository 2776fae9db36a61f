import { Command } from '@commander-js/extra-typings';
import { createAuthenticator } from '../../auth/authenticate.js';
import { loadConfig } from '../../config/load.js';
import { ConfigError } from '../../errors.js';
import { createGateway } from '../../gateway/create-gateway.js';
import { serveHttpFront } from '../../front/http-front.js';
import { logEvent } from '../log.js';
import { logLine } from '../../log.js';
import { superviseGateway } from './lifecycle.js';
import { configOption, done } from '../program.js';

/** `HOST:PORT`, `[v6]:PORT`, or a bare `PORT` (loopback: a bare port never binds every interface). */
const parseListen = (listen: string): { host: string; port: number } => {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(listen);
  const port = Number(m?.[2]);
  if (!m || port > 65535) throw new Error(`--listen must be HOST:PORT or PORT, got "${listen}"`);
  const host = m[1] ?? '127.0.0.1';
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port };
};

/** Loopback only: 127.0.0.0/8, ::1 and localhost. */
const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

/** `toolgate serve --config FILE --listen HOST:PORT`: the gateway as a Streamable HTTP server at /mcp. */
const serve = async (
  configPath: string,
  listen: string,
  noLock = false,
  insecureNoAuth = false,
): Promise<void> => {
  const config = await loadConfig(configPath);
  const where = parseListen(listen);
  if (!config.auth && !isLoopback(where.host)) {
    if (!insecureNoAuth)
      throw new ConfigError(
        'CONFIG_AUTH_REQUIRED',
        `--listen ${listen} is reachable from other machines and the config has no auth: section; configure auth (docs/policy.md), listen on loopback, or pass --insecure-no-auth`,
      );
    logLine('warn', 'NO AUTHENTICATION: --insecure-no-auth on a non-loopback address', { listen });
  }
  const runtime = await createGateway(config, { configPath, noLock, log: logEvent });
  const starting = runtime.start();
  // Signals are handled from here on: a SIGHUP during a slow start must not kill the gateway.
  const front = { close: (): Promise<void> => Promise.resolve() }; // the HTTP front's, once it is up
  superviseGateway(runtime, () => front.close());
  const { ready, failed } = await starting;
  const http = await serveHttpFront(
    runtime.gateway,
    where,
    (error) =>
      logLine('warn', 'http front error', {
        error: error.message,
        stack: error.stack?.split('\n').slice(0, 4).join(' | '),
      }),
    config.auth && createAuthenticator(config.auth, config.agents, configPath),
  );
  front.close = () => http.close();
  logLine(failed.length ? 'warn' : 'info', 'gateway listening', {
    front: 'http',
    url: http.url,
    address: http.address.address,
    port: http.address.port,
    ready,
    failed,
  });
};

export const serveCommand = () =>
  new Command('serve')
    .description('serve Streamable HTTP at /mcp')
    .addOption(configOption())
    .option(
      '--listen <HOST:PORT>',
      'address to listen on (a bare PORT is loopback)',
      '127.0.0.1:8787',
    )
    .option('--no-lock', 'start without enforcing toolgate.lock')
    .option('--insecure-no-auth', 'allow a non-loopback --listen without an auth: section')
    .action(async (opts) => {
      await serve(opts.config, opts.listen, !opts.lock, opts.insecureNoAuth === true);
      done(-1);
    });
