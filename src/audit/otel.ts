import { SpanKind, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { createRequire } from 'node:module';
import type * as LogsExporter from '@opentelemetry/exporter-logs-otlp-http';
import type * as TraceExporter from '@opentelemetry/exporter-trace-otlp-http';
import type * as Resources from '@opentelemetry/resources';
import type * as SdkLogs from '@opentelemetry/sdk-logs';
import type * as SdkTrace from '@opentelemetry/sdk-trace-base';
import { VERSION } from '../version.js';
import type { AuditEntry } from './event.js';
import type { CallObserver } from './interceptor.js';
import type { AuditConfig } from '../config/audit-schema.js';

export interface OtelExport {
  readonly observer: CallObserver;
  readonly entry: (entry: AuditEntry) => void;
  shutdown(): Promise<void>;
}

/**
 * Only identifiers and codes leave the gateway: never arguments, results or their digests, never
 * header values. The same allowlist serves span events and log records.
 */
const attributesOf = (entry: AuditEntry): Attributes => ({
  'toolgate.audit.seq': entry.seq,
  'toolgate.decision': entry.decision,
  ...(entry.call !== undefined && { 'toolgate.call': entry.call }),
  ...(entry.server !== undefined && { 'toolgate.server': entry.server }),
  ...(entry.method !== undefined && { 'toolgate.method': entry.method }),
  ...(entry.target !== undefined && { 'toolgate.target': entry.target }),
  ...(entry.principal !== undefined && { 'toolgate.principal': entry.principal }),
  ...(entry.reason !== undefined && { 'toolgate.reason': entry.reason }),
  ...(entry.latencyUs !== undefined && { 'toolgate.latency_us': entry.latencyUs }),
  ...(entry.result !== undefined && { 'toolgate.result.size': entry.result.size }),
  ...(typeof entry.event?.['kind'] === 'string' && { 'toolgate.event': entry.event['kind'] }),
});

/**
 * The SDK's exporters and providers, loaded only when export is configured: loading them costs every
 * gateway process a few hundred milliseconds of CPU at start, and most never export.
 */
const sdk = () => {
  const load = createRequire(import.meta.url);
  return {
    ...(load('@opentelemetry/exporter-logs-otlp-http') as typeof LogsExporter),
    ...(load('@opentelemetry/exporter-trace-otlp-http') as typeof TraceExporter),
    ...(load('@opentelemetry/resources') as typeof Resources),
    ...(load('@opentelemetry/sdk-logs') as typeof SdkLogs),
    ...(load('@opentelemetry/sdk-trace-base') as typeof SdkTrace),
  };
};

/**
 * OTLP/HTTP export with the official SDK: one span per call (the chain's entries as span events) and
 * one log record per audit entry, batched so export never delays a call.
 * @example
 * const otel = createOtelExport({ endpoint: 'http://127.0.0.1:4318', headers: {}, serviceName: 'toolgate' });
 */
export const createOtelExport = (config: NonNullable<AuditConfig['otel']>): OtelExport => {
  const {
    OTLPLogExporter,
    OTLPTraceExporter,
    resourceFromAttributes,
    BatchLogRecordProcessor,
    LoggerProvider,
    BasicTracerProvider,
    BatchSpanProcessor,
  } = sdk();
  const base = config.endpoint.replace(/\/+$/, '');
  const resource = resourceFromAttributes({
    'service.name': config.serviceName,
    'service.version': VERSION,
  });
  const traces = new BasicTracerProvider({
    resource,
    spanProcessors: [
      new BatchSpanProcessor(
        new OTLPTraceExporter({ url: `${base}/v1/traces`, headers: config.headers }),
        { scheduledDelayMillis: 1000 },
      ),
    ],
  });
  const logs = new LoggerProvider({
    resource,
    processors: [
      new BatchLogRecordProcessor({
        exporter: new OTLPLogExporter({ url: `${base}/v1/logs`, headers: config.headers }),
        scheduledDelayMillis: 1000,
      }),
    ],
  });
  const tracer = traces.getTracer('toolgate.audit', VERSION);
  const logger = logs.getLogger('toolgate.audit', VERSION);
  return {
    observer: {
      start(message, call, target) {
        const span = tracer.startSpan(`${message.method} ${message.server}`, {
          kind: message.direction === 'to-server' ? SpanKind.CLIENT : SpanKind.SERVER,
          attributes: {
            'toolgate.call': call,
            'toolgate.server': message.server,
            'toolgate.method': message.method,
            'toolgate.principal': message.principal.id,
            ...(target !== undefined && { 'toolgate.target': target }),
          },
        });
        return {
          entry: (entry) => span.addEvent(entry.decision, attributesOf(entry)),
          end: (error) => {
            span.setStatus(
              error ? { code: SpanStatusCode.ERROR, message: error } : { code: SpanStatusCode.OK },
            );
            span.end();
          },
        };
      },
    },
    entry: (entry) =>
      logger.emit({
        severityNumber:
          entry.decision === 'deny' || entry.decision === 'error'
            ? SeverityNumber.WARN
            : SeverityNumber.INFO,
        body: `audit ${entry.seq} ${entry.decision}${entry.method ? ` ${entry.method}` : ''}${entry.reason ? ` ${entry.reason}` : ''}`,
        attributes: attributesOf(entry),
      }),
    shutdown: async () => {
      await Promise.allSettled([traces.shutdown(), logs.shutdown()]);
    },
  };
};
