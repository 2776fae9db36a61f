import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { EgressErrorCode } from '../errors.js';
import type { Checked } from './destination.js';
import type { Gate } from './gate.js';
import { normalizeHost } from './match.js';

/** Answers a plain-HTTP request with the refusal's status and its code in `x-toolgate-egress`. */
const refuse = (res: ServerResponse, code: EgressErrorCode, message: string): void => {
  const status =
    code === 'EGRESS_DNS_FAILED' || code === 'EGRESS_CONNECT_FAILED'
      ? 502
      : code === 'EGRESS_BAD_REQUEST'
        ? 400
        : code === 'EGRESS_UNLOGGED'
          ? 503
          : 403;
  res
    .writeHead(status, {
      'content-type': 'text/plain',
      'x-toolgate-egress': code,
      connection: 'close',
    })
    .end(`toolgate egress: ${code}: ${message}\n`);
};

// A redirect is re-checked here, so a plain-HTTP client that follows it blindly is told no at once.
const relay = async (
  gate: Gate,
  upstreamRes: IncomingMessage,
  from: URL,
  method: string,
  res: ServerResponse,
): Promise<void> => {
  const location = upstreamRes.headers.location;
  if (
    upstreamRes.statusCode !== undefined &&
    upstreamRes.statusCode >= 300 &&
    upstreamRes.statusCode < 400 &&
    location
  ) {
    let target: URL | undefined;
    try {
      target = new URL(location, from);
    } catch {
      target = undefined;
    }
    const targetPort = target
      ? Number(target.port || (target.protocol === 'https:' ? 443 : 80))
      : 0;
    const verdict: Checked =
      target && (target.protocol === 'http:' || target.protocol === 'https:')
        ? await gate.check(target.hostname, targetPort)
        : {
            ok: false,
            code: 'EGRESS_REDIRECT_DENIED',
            message: 'redirect to a non-http(s) location',
          };
    if (!verdict.ok) {
      upstreamRes.resume();
      const host = target ? normalizeHost(target.hostname) : '';
      const reason = `redirect to ${host || location} refused: ${verdict.message}`;
      await gate.record({
        decision: 'deny',
        method,
        host,
        port: targetPort,
        code: 'EGRESS_REDIRECT_DENIED',
        reason,
      });
      return refuse(res, 'EGRESS_REDIRECT_DENIED', reason);
    }
  }
  res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
  upstreamRes.pipe(res);
};

/**
 * Forwards one absolute-URI plain-HTTP request to the checked address, its Host header the checked
 * one; refuses anything else.
 */
export const forwardHttp = async (
  gate: Gate,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> => {
  let url: URL;
  try {
    url = new URL(req.url ?? '');
    if (url.protocol !== 'http:') throw new Error('not http');
  } catch {
    await gate.record({
      decision: 'deny',
      method: req.method ?? '?',
      host: '',
      port: 0,
      code: 'EGRESS_BAD_REQUEST',
      reason: 'not an absolute http:// URI',
    });
    return refuse(res, 'EGRESS_BAD_REQUEST', 'send absolute http:// URIs, or CONNECT for https');
  }
  const host = normalizeHost(url.hostname);
  const port = Number(url.port || 80);
  const verdict = await gate.report(req.method ?? 'GET', host, port, await gate.check(host, port));
  if (!verdict.ok) return refuse(res, verdict.code, verdict.message);
  const headers = { ...req.headers };
  delete headers['proxy-authorization'];
  delete headers['proxy-connection'];
  // The server's own Host could name another virtual host on the allowed address: send the checked one.
  headers.host = url.host;
  const upstream = httpRequest(
    {
      host: verdict.address,
      port,
      method: req.method,
      path: url.pathname + url.search,
      headers,
      setHost: false,
    },
    (upstreamRes) => void relay(gate, upstreamRes, url, req.method ?? 'GET', res),
  );
  upstream.on('error', (error) => {
    void gate.record({
      decision: 'deny',
      method: req.method ?? 'GET',
      host,
      port,
      code: 'EGRESS_CONNECT_FAILED',
      reason: error.message,
    });
    if (!res.headersSent) refuse(res, 'EGRESS_CONNECT_FAILED', `cannot reach ${host}:${port}`);
    else res.destroy();
  });
  req.pipe(upstream);
};
