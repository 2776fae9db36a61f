import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { createAuthenticator } from '../../auth/authenticate.js';
import { requirePostgresStore } from '../../audit/pg-schema.js';
import { loadConfig } from '../../config/load.js';
import { ConfigError, ServeError } from '../../errors.js';
import { createGateway } from '../../gateway/create-gateway.js';
import { serveHttpFront } from '../../front/http-front.js';
import { logEvent } from '../log.js';
import { logLine } from '../../log.js';
import { superviseGateway } from './lifecycle.js';
import { watchLock } from '../../cluster/lock-watch.js';
import { lockPathOf } from '../../pins/store.js';
import { replicaName } from '../../cluster/replica.js';
import { auditPathsOf } from '../../audit/setup.js';
import type { Config } from '../../config/schema.js';
import type { Gateway } from '../../gateway/gateway.js';
import { createMetrics } from '../../front/metrics.js';
import { serveOps } from '../../front/ops-listener.js';
import type { OpsOptions } from '../../front/ops.js';

/** Open 2025-era HTTP sessions, once the front is up (the metrics ask at scrape time). */
const sessions = { count: (): number => 0 };

/** The metrics (unless `http.metrics.enabled` is false) and the embedded audit file, for the operations endpoints. */
const startOps = (
  config: Config,
  configPath: string,
  gateway: () => Gateway | undefined,
  open: { count: () => number },
): OpsOptions => ({
  metrics: config.http.metrics.enabled ? createMetrics(gateway, () => open.count()) : undefined,
  auditFile:
    config.audit !== false && config.audit.store !== 'postgres'
      ? auditPathsOf(config.audit, configPath).store
      : undefined,
});
import { configOption, done } from '../program.js';

const LISTEN = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/;

/** The --listen value, checked while parsing: a bad one is a usage error (exit 2), found before the config is read. */
const listenValue = (value: string): string => {
  const m = LISTEN.exec(value);
  if (!m || Number(m[2]) > 65535)
    throw new InvalidArgumentError(
      'expected HOST:PORT, [IPv6]:PORT or PORT (0-65535), e.g. 127.0.0.1:8787',
    );
  return value;
};

/** `HOST:PORT`, `[v6]:PORT`, or a bare `PORT` (loopback: a bare port never binds every interface). */
const parseListen = (listen: string): { host: string; port: number } => {
  const m = LISTEN.exec(listenValue(listen)) as RegExpExecArray;
  const host = m[1] ?? '127.0.0.1';
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(m[2]) };
};

const LISTEN_FAILURES: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (another toolgate serve, or another program)',
  EACCES: 'permission denied (a port below 1024 needs privileges)',
  EADDRNOTAVAIL: 'no interface of this machine has that address',
};

/** A bind failure as a coded error that says why and what to do; anything else as it is. */
const listenError = (listen: string, cause: unknown): Error => {
  const why = LISTEN_FAILURES[(cause as NodeJS.ErrnoException).code ?? ''];
  return why === undefined
    ? (cause as Error)
    : new ServeError(
        'SERVE_LISTEN_FAILED',
        `cannot listen on ${listen}: ${why}; stop what holds it, or pass another --listen`,
        { cause },
      );
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
  // A replica without its shared log would only refuse calls: it does not start (CLU-7).
  if (config.audit && config.audit.store === 'postgres')
    await requirePostgresStore(config.audit.url ?? '', config.audit.schema);
  const gateway: { current?: Gateway } = {};
  const ops = startOps(config, configPath, () => gateway.current, sessions);
  const runtime = await createGateway(config, {
    configPath,
    noLock,
    log: (event) => {
      logEvent(event);
      ops.metrics?.event(event);
    },
  });
  gateway.current = runtime.gateway;
  const starting = runtime.start();
  // Signals are handled from here on: a SIGHUP during a slow start must not kill the gateway.
  const front = { close: (): Promise<void> => Promise.resolve() }; // the HTTP front's, once it is up
  const supervisor = superviseGateway(runtime, () => front.close());
  // Replicas follow a lock change approved anywhere (CLU-8).
  const watcher =
    config.cluster &&
    !noLock &&
    watchLock({
      files: [configPath, lockPathOf(configPath, config)],
      redis: config.cluster.redis,
      prefix: config.cluster.prefix,
      reload: supervisor.reload,
    });
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
    ops,
  ).catch((cause: unknown) => Promise.reject(listenError(listen, cause)));
  sessions.count = () => http.sessions();
  const metricsListen = config.http.metrics.listen;
  const opsListener =
    metricsListen === undefined
      ? undefined
      : await serveOps(runtime.gateway, parseListen(metricsListen), ops);
  front.close = async () => {
    if (watcher) watcher.close();
    await http.close();
    await opsListener?.close();
    ops.metrics?.close();
  };
  logLine(failed.length ? 'warn' : 'info', 'gateway listening', {
    front: 'http',
    url: http.url,
    address: http.address.address,
    port: http.address.port,
    ready,
    failed,
    replica: replicaName(),
    ...(opsListener && { operations: opsListener.url }),
  });
};

export const serveCommand = () =>
  new Command('serve')
    .description('serve Streamable HTTP at /mcp')
    .addOption(configOption())
    .option(
      '--listen <HOST:PORT>',
      'address to listen on (a bare PORT is loopback)',
      listenValue,
      '127.0.0.1:8787',
    )
    .option('--no-lock', 'start without enforcing toolgate.lock')
    .option('--insecure-no-auth', 'allow a non-loopback --listen without an auth: section')
    .action(async (opts) => {
      await serve(opts.config, opts.listen, !opts.lock, opts.insecureNoAuth === true);
      done(-1);
    });
