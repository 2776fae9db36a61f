import type { AuditInterceptors } from '../audit/interceptor.js';
import { createAudit } from '../audit/setup.js';
import type { Config } from '../config/schema.js';
import { logLine } from '../log.js';
import type { EventSinks, GatewayEvent } from './events.js';

export interface AuditRuntime {
  /** The audit pair of the chain; none with `audit: false`. */
  readonly interceptors: AuditInterceptors | undefined;
  /** Where gateway events go: each is handed to `log`, then recorded (see `EventSinks`). */
  readonly events: EventSinks;
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

/** An event as the log stores it: plain JSON. */
const toPlain = (event: GatewayEvent): Record<string, unknown> =>
  JSON.parse(JSON.stringify(event)) as Record<string, unknown>;

/** Server stderr is not a decision, and an upstream could flood the log with it. */
const isStderr = (event: GatewayEvent): boolean =>
  event.kind === 'upstream' && event.event.kind === 'stderr';

/**
 * The audit side of the gateway: opens the audit log (on unless `audit: false`), records the config
 * (and lock) load, every gateway event (upstream start, crash, restart, egress decisions, pin and
 * content verdicts), reloads and the shutdown, and hands the chain its audit pair.
 */
export const openAudit = (
  configPath: string,
  config: Config,
  lockDocument: unknown,
  log: (event: GatewayEvent) => void,
): AuditRuntime => {
  const audit = createAudit(
    config,
    configPath,
    (message) => logLine('warn', message),
    lockDocument,
  );
  if (!audit) {
    logLine(
      'warn',
      'AUDIT LOG OFF: the config sets audit: false, so no decision of this gateway is recorded or verifiable',
      { config: configPath },
    );
    return {
      interceptors: undefined,
      events: { note: (event) => log(event), record: (event) => Promise.resolve(log(event)) },
      record: () => Promise.resolve(),
      reconfigure: () => ({ interceptors: undefined, apply: () => undefined }),
      close: () => Promise.resolve(),
    };
  }
  const record = (event: Readonly<Record<string, unknown>>) =>
    audit
      .event(event)
      .catch((error: unknown) =>
        logLine('error', 'audit event not recorded', { error: (error as Error).message }),
      );
  void record({ kind: 'config-load', config: configPath, lock: lockDocument !== undefined });
  const events: EventSinks = {
    note: (event, message) => {
      log(event);
      if (isStderr(event)) return;
      const plain = toPlain(event);
      // A pin or content verdict about a message in the chain is appended before that message's next effect.
      if (
        (event.kind === 'pin' || event.kind === 'content' || event.kind === 'authz') &&
        audit.note(plain, message)
      )
        return;
      void record(plain); // on its own: nothing waits for it, and a failure is logged
    },
    record: async (event) => {
      log(event);
      if (!isStderr(event)) await audit.event(toPlain(event));
    },
  };
  return {
    interceptors: audit,
    events,
    record,
    reconfigure: (next, lock) => audit.reconfigure(next, lock),
    close: async (reason) => {
      await record({ kind: 'shutdown', ...(reason !== undefined && { reason }) });
      await audit.close();
    },
  };
};
