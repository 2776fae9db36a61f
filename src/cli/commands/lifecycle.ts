import { loadConfig } from '../../config/load.js';
import { fixedFieldChanges } from '../../config/reload.js';
import { ConfigError, isGatewayError } from '../../errors.js';
import type { Gateway } from '../../gateway/gateway.js';
import { logEvent } from '../log.js';
import { logLine } from '../../log.js';
import type { AuditRuntime } from '../../gateway/audit-runtime.js';
import { loadPolicy } from '../../authz/load.js';
import { loadPinRuntime } from '../../gateway/pin-runtime.js';

/** How long a shutdown waits for the calls in flight before it cuts them and stops the upstreams. */
const SHUTDOWN_GRACE_MS = 10_000;

/** Signals that end the gateway cleanly; SIGHUP reloads the config instead. */
const TERMINATING = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;

export interface Supervised {
  readonly configPath: string;
  readonly noLock: boolean;
  readonly gateway: Gateway;
  readonly audit: AuditRuntime;
  /** Stops the front taking clients or messages; unset until the front is up. */
  closeFront?: () => Promise<void>;
  /** Settles once the first start of the upstreams has (a shutdown waits for it). */
  starting?: Promise<unknown>;
}

/**
 * Reads the config file again and switches the gateway to it, all or nothing: a config or lock that
 * fails to load or validate, or a change to a field fixed at start, keeps the running config, and
 * the audit log records why (`config-reload-failed`); otherwise it records `config-reload` with the
 * new config's hash, at the moment the chain switches.
 */
const reloadConfig = async (ctx: Supervised): Promise<boolean> => {
  const { configPath, gateway, audit } = ctx;
  try {
    const loaded = await loadConfig(configPath);
    const fixed = fixedFieldChanges(gateway.config, loaded);
    if (fixed.length > 0)
      throw new ConfigError(
        'CONFIG_RELOAD_REFUSED',
        `${fixed.join(', ')} cannot change while the gateway runs (restart it to change them); nothing was applied`,
      );
    const pinned = await loadPinRuntime(configPath, loaded, ctx.noLock, logEvent);
    const policy = await loadPolicy(configPath, pinned.config);
    const rebound = audit.reconfigure(pinned.config, pinned.options.lock);
    const { onEvent: _, ...options } = pinned.options;
    const applied = gateway.reload(pinned.config, {
      ...options,
      policy,
      audit: rebound.interceptors,
    });
    rebound.apply();
    const servers = {
      added: applied.added,
      removed: applied.removed,
      changed: applied.changed,
      unchanged: applied.unchanged,
    };
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
    const code = isGatewayError(error) ? error.code : 'INTERNAL';
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

/**
 * The process side of `run` and `serve`: SIGHUP reloads the config (reloads run one at a time; one
 * more is queued if a SIGHUP arrives during one); SIGTERM, SIGINT and SIGQUIT (and `onEnd`, e.g.
 * stdin's end) shut down: new calls are refused, calls in flight get SHUTDOWN_GRACE_MS to finish, the
 * front closes, the upstreams stop, the audit log records the shutdown and writes its final signed
 * checkpoint, and the process exits 0. A second terminating signal during that exits 1 at once.
 */
export const superviseGateway = (
  ctx: Supervised,
): { shutdown: (reason: string) => Promise<void> } => {
  let stopping = false;
  let signals = 0;
  let reloading: Promise<void> | undefined;
  let again = false;

  const reload = () => {
    if (stopping) return logLine('warn', 'SIGHUP ignored: the gateway is shutting down');
    if (reloading) {
      again = true;
      return;
    }
    logLine('info', 'SIGHUP: reloading the config', { config: ctx.configPath });
    reloading = (async () => {
      do {
        again = false;
        await ctx.starting?.catch(() => undefined);
        if (!stopping) await reloadConfig(ctx);
      } while (again && !stopping);
      reloading = undefined;
    })();
  };

  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    logLine('info', 'gateway stopping', { reason, graceMs: SHUTDOWN_GRACE_MS });
    await ctx.starting?.catch(() => undefined);
    if (!(await ctx.gateway.drain(SHUTDOWN_GRACE_MS)))
      logLine('warn', 'shutdown grace period over: the calls still in flight are cut', {
        graceMs: SHUTDOWN_GRACE_MS,
      });
    await ctx.closeFront?.().catch(() => undefined);
    await ctx.gateway.stop();
    await ctx.audit.close(reason);
    logLine('info', 'gateway stopped', { reason });
    // Exits once the log lines have left (stderr may be a pipe).
    process.stderr.write('', () => process.exit(0));
  };

  process.on('SIGHUP', reload);
  for (const signal of TERMINATING)
    process.on(signal, () => {
      if (++signals > 1) {
        logLine(
          'warn',
          'second signal during shutdown: exiting now, without the final checkpoint',
          { signal },
        );
        process.exit(1);
      }
      void shutdown(signal);
    });
  return { shutdown };
};
