import { CONTENT_DEFAULTS } from '../config/content-schema.js';
import { loadPolicy } from '../authz/load.js';
import { approvalQueueOf } from '../cluster/approvals-redis.js';
import { loadConfig } from '../config/load.js';
import { fixedFieldChanges } from '../config/reload.js';
import type { Config } from '../config/schema.js';
import { ConfigError, GatewayError } from '../errors.js';
import { logLine } from '../log.js';
import { SecretRegistry } from '../secrets/registry.js';
import { createOutbound } from '../transport/outbound.js';
import { openAudit, type AuditRuntime } from './audit-runtime.js';
import type { EventSinks, GatewayEvent } from './events.js';
import { Gateway } from './gateway.js';
import { loadPins } from './pin-runtime.js';

/** How long a shutdown waits for the calls in flight before it cuts them and stops the upstreams. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface CreateGatewayOptions {
  /** The config file `config` was read from: the lock and the audit log are found next to it, and a reload reads it again. */
  readonly configPath: string;
  /** `--no-lock`: pins off. */
  readonly noLock?: boolean;
  /** Every gateway event as it happens (the CLI prints them on stderr). */
  readonly log?: (event: GatewayEvent) => void;
}

/** A gateway with everything it was wired to, for a front to serve and the CLI to supervise. */
export interface GatewayRuntime {
  readonly gateway: Gateway;
  readonly configPath: string;
  /** Starts every upstream; resolves when each has connected or failed its first attempt. */
  start(): Promise<{ ready: string[]; failed: string[] }>;
  /** Settles once the first start has (a reload or shutdown waits for it). */
  started(): Promise<void>;
  /**
   * Reads the config file again and switches the gateway to it, all or nothing: a config or lock that
   * fails to load or validate, or a change to a field fixed at start, keeps the running config, and
   * the audit log records why (`config-reload-failed`); otherwise it records `config-reload` with the
   * new config's hash, at the moment the chain switches. Resolves whether it switched.
   */
  reload(): Promise<boolean>;
  /**
   * New calls are refused, calls in flight get SHUTDOWN_GRACE_MS to finish, the front closes
   * (`closeFront`), the upstreams stop, and the audit log records the shutdown and writes its final
   * signed checkpoint.
   */
  shutdown(reason: string, closeFront?: () => Promise<void>): Promise<void>;
}

/**
 * THE composition root: wires the lock and pins (pin-runtime.ts), the audit log (audit-runtime.ts),
 * the secrets the content scanner catches, the way out every message leaves through
 * (core/outbound.ts; the transports, sandboxes and egress proxies of the upstreams get it), and the
 * chain (chain.ts) into one gateway. The CLI only parses, calls this and a front, and prints.
 * @example
 * const runtime = await createGateway(await loadConfig(path), { configPath: path });
 * serveStdioFront(runtime.gateway);
 * await runtime.start();
 */
export const createGateway = async (
  config: Config,
  options: CreateGatewayOptions,
): Promise<GatewayRuntime> => {
  const { configPath, noLock = false, log = () => undefined } = options;
  // Pins report through the audit that is opened with the pinned config: late-bound, never before it exists.
  const opened: { audit?: AuditRuntime } = {};
  const events: EventSinks = {
    note: (event, message) =>
      opened.audit ? opened.audit.events.note(event, message) : log(event),
    record: (event) =>
      opened.audit ? opened.audit.events.record(event) : Promise.resolve(log(event)),
  };
  const pinned = await loadPins(configPath, config, noLock, events);
  const policy = await loadPolicy(configPath, pinned.config);
  const audit = openAudit(configPath, pinned.config, pinned.options.lock, log);
  opened.audit = audit;
  const secrets = new SecretRegistry();
  const approvals = approvalQueueOf(pinned.config, configPath);
  addConfiguredSecrets(secrets, pinned.config);
  const gateway = new Gateway(pinned.config, {
    ...pinned.options,
    policy,
    audit: audit.interceptors,
    events: audit.events,
    secrets,
    outbound: createOutbound(),
    approvals,
  });
  const runtime = { gateway, audit, secrets, configPath, noLock, events };
  let starting: Promise<unknown> | undefined;
  return {
    gateway,
    configPath,
    start: () => {
      const started = gateway.start();
      starting = started;
      return started;
    },
    started: async () => void (await starting?.catch(() => undefined)),
    reload: () => reload(runtime),
    shutdown: async (reason, closeFront) => {
      logLine('info', 'gateway stopping', { reason, graceMs: SHUTDOWN_GRACE_MS });
      await starting?.catch(() => undefined);
      if (!(await gateway.drain(SHUTDOWN_GRACE_MS)))
        logLine('warn', 'shutdown grace period over: the calls still in flight are cut', {
          graceMs: SHUTDOWN_GRACE_MS,
        });
      await closeFront?.().catch(() => undefined);
      await gateway.stop();
      approvals.close?.();
      await runtime.audit.close(reason);
      logLine('info', 'gateway stopped', { reason });
    },
  };
};

/** The values `content.secrets.env` names, read from the gateway's environment (the edge). */
const addConfiguredSecrets = (secrets: SecretRegistry, config: Config): void => {
  const names = (config.content ?? CONTENT_DEFAULTS).secrets.env;
  secrets.add(
    'config',
    names.map((name) => process.env[name]).filter((v): v is string => typeof v === 'string'),
  );
};

interface Wired {
  readonly gateway: Gateway;
  readonly audit: AuditRuntime;
  readonly secrets: SecretRegistry;
  readonly configPath: string;
  readonly noLock: boolean;
  readonly events: EventSinks;
}

const reload = async ({ gateway, audit, secrets, configPath, noLock, events }: Wired) => {
  try {
    const loaded = await loadConfig(configPath);
    const fixed = fixedFieldChanges(gateway.config, loaded);
    if (fixed.length > 0)
      throw new ConfigError(
        'CONFIG_RELOAD_REFUSED',
        `${fixed.join(', ')} cannot change while the gateway runs (restart it to change them); nothing was applied`,
      );
    const pinned = await loadPins(configPath, loaded, noLock, events);
    const policy = await loadPolicy(configPath, pinned.config);
    const rebound = audit.reconfigure(pinned.config, pinned.options.lock);
    addConfiguredSecrets(secrets, pinned.config);
    const applied = gateway.reload(pinned.config, {
      ...pinned.options,
      policy,
      audit: rebound.interceptors,
    });
    rebound.apply();
    const { added, removed, changed, unchanged } = applied;
    const servers = { added, removed, changed, unchanged };
    void audit.record({
      kind: 'config-reload',
      config: configPath,
      ...(rebound.policy !== undefined && { policy: rebound.policy }),
      lock: pinned.options.lock !== undefined,
      ...servers,
    });
    const { ready, failed } = await applied.settled;
    logLine(failed.length ? 'warn' : 'info', 'config reloaded', {
      config: configPath,
      ...servers,
      ready,
      failed,
    });
    return true;
  } catch (error) {
    const code = error instanceof GatewayError ? String(error.code) : 'INTERNAL';
    const message = (error as Error).message;
    logLine('error', 'config reload failed: the running config stays in force', {
      config: configPath,
      code,
      error: message,
    });
    void audit.record({ kind: 'config-reload-failed', config: configPath, reason: code, message });
    return false;
  }
};
