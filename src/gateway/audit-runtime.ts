import { createAudit } from '../audit/setup.js';
import type { AuditInterceptors } from '../audit/interceptor.js';
import type { Config } from '../config/schema.js';
import type { GatewayEvent, GatewayOptions } from './gateway.js';
import type { Message } from '../core/interceptor.js';
import { logLine } from '../log.js';

export interface AuditRuntime {
  readonly options: GatewayOptions;
  /** Records a lifecycle event (config reload, shutdown); a failed append is logged, never thrown. */
  record(event: Readonly<Record<string, unknown>>): Promise<void>;
  /** The audit pair of a reloaded config (none with `audit: false`); `apply()` once the gateway switched. */
  reconfigure(
    config: Config,
    lockDocument?: unknown,
  ): { interceptors: AuditInterceptors | undefined; policy?: string; apply(): void };
  /** Records the shutdown (and why), then writes the final signed checkpoint. */
  close(reason?: string): Promise<void>;
}

/**
 * The audit side of `run` and `serve`: opens the audit log (on unless `audit: false`), records the
 * config (and lock) load, every gateway event (upstream start, crash, restart, pin events), reloads
 * and the shutdown, and hands the chain its audit pair.
 */
export const withAudit = (
  configPath: string,
  config: Config,
  options: GatewayOptions,
): AuditRuntime => {
  const audit = createAudit(
    config,
    configPath,
    (message) => logLine('warn', message),
    options.lock,
  );
  if (!audit) {
    logLine(
      'warn',
      'AUDIT LOG OFF: the config sets audit: false, so no decision of this gateway is recorded or verifiable',
      { config: configPath },
    );
    return {
      options,
      record: async () => undefined,
      reconfigure: () => ({ interceptors: undefined, apply: () => undefined }),
      close: async () => undefined,
    };
  }
  const record = (event: Readonly<Record<string, unknown>>) =>
    audit
      .event(event)
      .catch((error: unknown) =>
        logLine('error', 'audit event not recorded', { error: (error as Error).message }),
      );
  void record({ kind: 'config-load', config: configPath, lock: options.lock !== undefined });
  const onEvent = options.onEvent;
  return {
    options: {
      ...options,
      audit,
      // Returns a promise for egress decisions: the egress proxy awaits it, so a connection is made
      // only once its decision is in the log, and refused if the append fails.
      onEvent: (event: GatewayEvent, message?: Message): void | Promise<void> => {
        onEvent?.(event, message);
        // Server stderr is not a decision, and an upstream could flood the log with it.
        if (event.kind === 'upstream' && event.event.kind === 'stderr') return;
        const plain = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
        if (event.kind === 'upstream' && event.event.kind === 'egress') return audit.event(plain);
        // A pin or content verdict about a message in the chain is appended before that message's next effect.
        if (
          (event.kind === 'pin' || event.kind === 'content' || event.kind === 'authz') &&
          audit.note(plain, message)
        )
          return;
        void record(plain);
      },
    },
    record,
    reconfigure: (next, lockDocument) => audit.reconfigure(next, lockDocument),
    close: async (reason) => {
      await record({ kind: 'shutdown', ...(reason !== undefined && { reason }) });
      await audit.close();
    },
  };
};
