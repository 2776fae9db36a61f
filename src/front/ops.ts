import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { Gateway } from '../gateway/gateway.js';
import { HttpError } from '../errors.js';
import { writeError } from './http-gates.js';
import type { FrontMetrics } from './metrics.js';

/** What the operations endpoints read: the gateway, its metrics, and the local audit file if any. */
export interface OpsOptions {
  readonly metrics?: FrontMetrics | undefined;
  /** The embedded audit log's file: readiness checks it is writable (a Postgres log is checked by its appends). */
  readonly auditFile?: string | undefined;
}

/** Why the gateway should get no traffic now; empty when it is ready. */
const readiness = async (gateway: Gateway, options: OpsOptions): Promise<string[]> => {
  const reasons: string[] = [];
  for (const id of gateway.servers()) {
    const state = gateway.upstream(id)?.state ?? 'missing';
    if (state !== 'ready') reasons.push(`upstream ${id} is ${state}`);
  }
  if (gateway.config.audit === false) return reasons;
  const audit = options.metrics?.audit;
  if (audit && audit.failedAt > audit.storedAt)
    reasons.push('audit log: the last append failed (AUDIT_APPEND_FAILED)');
  if (options.auditFile !== undefined)
    await access(options.auditFile, constants.W_OK).catch(() =>
      reasons.push(`audit log: ${options.auditFile} is not writable`),
    );
  return reasons;
};

/** `metrics.allowFrom` as a matcher of remote addresses (IPv4-mapped IPv6 matches as IPv4). */
const addressRule = (rules: readonly string[]): ((address: string | undefined) => boolean) => {
  const list = new BlockList();
  for (const rule of rules) {
    const [ip = '', prefix] = rule.split('/');
    const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(prefix), type);
  }
  return (address) => {
    if (address === undefined) return false;
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    if (v4 !== undefined) return list.check(v4, 'ipv4');
    return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  };
};

const writeText = (res: ServerResponse, status: number, type: string, body: string): void => {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
};

/**
 * Serves `GET /healthz` (liveness: the process answers), `GET /readyz` (readiness: every upstream
 * ready and the audit log writable, else 503 with the reasons) and, when `metrics` is on, its path
 * (Prometheus text format) to the addresses `metrics.allowFrom` allows. Health checks need no Host
 * or credentials: orchestrators probe by address, and they disclose only states. Returns false for
 * any other request.
 */
export const createOpsHandler = (gateway: Gateway, options: OpsOptions) => {
  const { enabled, path: metricsPath, allowFrom } = gateway.config.http.metrics;
  const allowed = addressRule(allowFrom);
  return (req: IncomingMessage, res: ServerResponse): Promise<void> | undefined => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return Promise.resolve(writeText(res, 200, 'text/plain', 'ok\n'));
    if (path === '/readyz')
      return readiness(gateway, options).then((reasons) =>
        reasons.length === 0
          ? writeText(res, 200, 'text/plain', 'ready\n')
          : writeText(res, 503, 'text/plain', `not ready:\n${reasons.join('\n')}\n`),
      );
    if (!enabled || !options.metrics || path !== metricsPath) return undefined;
    if (!allowed(req.socket.remoteAddress))
      return Promise.resolve(
        writeError(
          res,
          new HttpError('HTTP_METRICS_FORBIDDEN', 'metrics are not served to this address'),
        ),
      );
    const { registry } = options.metrics;
    return registry.metrics().then((text) => writeText(res, 200, registry.contentType, text));
  };
};
