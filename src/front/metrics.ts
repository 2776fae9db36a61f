import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { onAuditEntry } from '../audit/observe.js';
import { GatewayError } from '../errors.js';
import type { GatewayEvent } from '../gateway/events.js';
import type { Gateway } from '../gateway/gateway.js';

/** Told a call began; the function it returns is told how it ended (the error, if it failed). */
export type CallObserver = (method: string) => (error?: unknown) => void;

/** Seconds: a fast path answers in well under a millisecond, a slow tool in many seconds. */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** What a finished call counts as: answered, refused by the gateway (with its code), or failed. */
const outcomeOf = (error: unknown): { outcome: string; code?: string } => {
  if (error === undefined) return { outcome: 'ok' };
  if (!(error instanceof GatewayError)) return { outcome: 'error' };
  const code: string = (error as GatewayError<string>).code;
  // An upstream's own failure is not a decision of the gateway.
  return code.startsWith('UPSTREAM_') ? { outcome: 'error', code } : { outcome: 'denied', code };
};

export interface FrontMetrics {
  readonly registry: Registry;
  readonly observe: CallObserver;
  /** Gateway events (upstream restarts) as they happen; the CLI hands it every event. */
  readonly event: (event: GatewayEvent) => void;
  /** When an audit append last failed and last succeeded (ms since the epoch), for readiness. */
  readonly audit: { readonly failedAt: number; readonly storedAt: number };
  close(): void;
}

/**
 * The Prometheus metrics of one `toolgate serve` process, in a registry of their own: calls by
 * method and outcome, denials by code, call latency, upstream state and restarts, audit lag (from an
 * entry's time stamp to its storing) and the process's own (`toolgate_process_*`, `toolgate_nodejs_*`).
 * `gateway` is asked at scrape time, so metrics can exist before the gateway does.
 */
export const createMetrics = (
  gateway: () => Gateway | undefined,
  sessions: () => number = () => 0,
): FrontMetrics => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'toolgate_' });
  const calls = new Counter({
    name: 'toolgate_calls_total',
    help: 'Client requests served, by method and outcome (ok, denied, error).',
    labelNames: ['method', 'outcome'] as const,
    registers: [registry],
  });
  const denials = new Counter({
    name: 'toolgate_denials_total',
    help: 'Requests the gateway refused, by error code (docs/errors.md).',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'toolgate_call_duration_seconds',
    help: 'Time from a request reaching the gateway to its answer, by method.',
    labelNames: ['method'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const restarts = new Counter({
    name: 'toolgate_upstream_restarts_total',
    help: 'Upstream server restarts (after a crash or a hang), by server.',
    labelNames: ['server'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'toolgate_upstream_up',
    help: '1 when the upstream server is connected and ready, else 0.',
    labelNames: ['server'] as const,
    registers: [registry],
    collect() {
      const g = gateway();
      for (const id of g?.servers() ?? [])
        this.set({ server: id }, g?.upstream(id)?.state === 'ready' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'toolgate_http_sessions',
    help: 'Open 2025-era HTTP sessions.',
    registers: [registry],
    collect() {
      this.set(sessions());
    },
  });
  const auditLag = new Histogram({
    name: 'toolgate_audit_lag_seconds',
    help: "Time from an audit entry's time stamp to its being stored.",
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const audit = { failedAt: 0, storedAt: 0 };
  const unlisten = onAuditEntry((entry) => {
    const now = Date.now();
    audit.storedAt = now;
    auditLag.observe(Math.max(0, now - Date.parse(entry.time)) / 1000);
  });
  const observe: CallObserver = (method) => {
    const end = latency.startTimer({ method });
    return (error) => {
      end();
      const { outcome, code } = outcomeOf(error);
      calls.inc({ method, outcome });
      if (outcome === 'denied' && code) denials.inc({ code });
      if (code === 'AUDIT_APPEND_FAILED') audit.failedAt = Date.now();
    };
  };
  const event = (e: GatewayEvent): void => {
    if (e.kind === 'upstream' && e.event.kind === 'restarting') restarts.inc({ server: e.server });
  };
  return { registry, observe, event, audit, close: unlisten };
};
