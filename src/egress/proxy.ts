import { lookup } from 'node:dns/promises';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { connect, type Socket } from 'node:net';
import { chmod } from 'node:fs/promises';
import type { EgressConfig } from '../config/schema.js';
import type { EgressErrorCode } from '../errors.js';
import {
  compileEgress,
  normalizeHost,
  toIpLiteral,
  type CompiledEgress,
  type EgressDecision,
} from './match.js';
import type { Outbound } from '../core/outbound.js';

/** Resolves a host name to addresses; injectable so tests never need real DNS. */
export type Resolver = (host: string) => Promise<string[]>;

export type EgressEvent =
  | { decision: 'allow'; method: string; host: string; port: number; address: string }
  | {
      decision: 'deny';
      method: string;
      host: string;
      port: number;
      code: EgressErrorCode;
      reason: string;
      address?: string;
    };

export interface EgressProxyOptions {
  readonly config: EgressConfig;
  /** Unix socket path to listen on (bound into the sandbox). */
  readonly socketPath: string;
  /**
   * Told of every decision before it takes effect: the connection waits for the audit log's append,
   * and a rejection refuses the connection, so nothing leaves unlogged.
   */
  readonly onEvent: (event: EgressEvent) => Promise<void>;
  /** The way out (core/outbound.ts): each decision's entry is written before its connection is made. */
  readonly outbound: Outbound;
  readonly resolver?: Resolver;
}

export interface EgressProxy {
  close(): Promise<void>;
}

/** The system resolver behind the config's fixed answers (`egress.resolve`). */
export const createResolver =
  (
    fixed: Readonly<Record<string, string>>,
    system: Resolver = async (host) => (await lookup(host, { all: true })).map((a) => a.address),
  ): Resolver =>
  async (host) => {
    const pinned = Object.hasOwn(fixed, host) ? fixed[host] : undefined;
    if (pinned !== undefined) return [pinned];
    const literal = toIpLiteral(host);
    if (literal !== undefined) return [literal];
    return system(host);
  };

export type Checked =
  | { ok: true; address: string }
  | { ok: false; code: EgressErrorCode; message: string; address?: string };

/**
 * Decides one destination: the host against the allowlist and ports, then every address it resolves
 * to. The allowed result names the one address to connect to.
 */
export const checkDestination = async (
  egress: CompiledEgress,
  resolve: Resolver,
  host: string,
  port: number,
): Promise<Checked> => {
  const byName: EgressDecision = egress.decideHost(host, port);
  if (!byName.ok) return byName;
  let addresses: string[];
  try {
    addresses = await resolve(normalizeHost(host));
  } catch {
    return { ok: false, code: 'EGRESS_DNS_FAILED', message: `cannot resolve ${host}` };
  }
  if (addresses.length === 0)
    return { ok: false, code: 'EGRESS_DNS_FAILED', message: `no address for ${host}` };
  // Every answer must pass: a mixed answer (one public, one private) is a rebinding attempt.
  for (const address of addresses) {
    const verdict = egress.decideAddress(host, address);
    if (!verdict.ok) return { ...verdict, address };
  }
  return { ok: true, address: addresses[0] as string };
};

/**
 * A per-server HTTP forward proxy (CONNECT for HTTPS, absolute-URI requests for plain HTTP) on a Unix
 * socket. It resolves names itself and connects to the very address it checked, so a DNS answer
 * cannot change between check and use (no rebinding); every decision is reported to `onEvent`.
 * @example const proxy = await startEgressProxy({ config, socketPath, onEvent: console.log });
 */
export const startEgressProxy = async (options: EgressProxyOptions): Promise<EgressProxy> => {
  const egress = compileEgress(options.config);
  const resolve = options.resolver ?? createResolver(options.config.resolve);

  const check = (host: string, port: number): Promise<Checked> =>
    checkDestination(egress, resolve, host, port);

  /** Reports a decision and waits until it is recorded; an allow that could not be recorded becomes a deny. */
  const record = async (event: EgressEvent): Promise<boolean> => {
    try {
      await options.onEvent(event);
    } catch {
      return false;
    }
    return options.outbound.commit() === undefined; // the entry is in the OS before the connection is made
  };
  const report = async (
    method: string,
    host: string,
    port: number,
    verdict: Checked,
  ): Promise<Checked> => {
    const recorded = await record(
      verdict.ok
        ? { decision: 'allow', method, host, port, address: verdict.address }
        : {
            decision: 'deny',
            method,
            host,
            port,
            code: verdict.code,
            reason: verdict.message,
            ...(verdict.address !== undefined && { address: verdict.address }),
          },
    );
    return recorded || !verdict.ok
      ? verdict
      : {
          ok: false,
          code: 'EGRESS_UNLOGGED',
          message: `the decision for ${host}:${port} could not be recorded in the audit log`,
        };
  };

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

  const server = createServer((req, res) => void forward(req, res));

  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
      if (url.protocol !== 'http:') throw new Error('not http');
    } catch {
      await record({
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
    const verdict = await report(req.method ?? 'GET', host, port, await check(host, port));
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
      (upstreamRes) => void relay(upstreamRes, url, req.method ?? 'GET', res),
    );
    upstream.on('error', (error) => {
      void record({
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

  // A redirect is re-checked here, so a plain-HTTP client that follows it blindly is told no at once.
  const relay = async (
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
          ? await check(target.hostname, targetPort)
          : {
              ok: false,
              code: 'EGRESS_REDIRECT_DENIED',
              message: 'redirect to a non-http(s) location',
            };
      if (!verdict.ok) {
        upstreamRes.resume();
        const host = target ? normalizeHost(target.hostname) : '';
        const reason = `redirect to ${host || location} refused: ${verdict.message}`;
        await record({
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

  server.on(
    'connect',
    (req: IncomingMessage, client: Socket, head: Buffer) => void tunnel(req, client, head),
  );
  const tunnel = async (req: IncomingMessage, client: Socket, head: Buffer): Promise<void> => {
    client.on('error', () => undefined);
    const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(req.url ?? '');
    if (!match) {
      await record({
        decision: 'deny',
        method: 'CONNECT',
        host: '',
        port: 0,
        code: 'EGRESS_BAD_REQUEST',
        reason: 'bad CONNECT target',
      });
      client.end('HTTP/1.1 400 Bad Request\r\nx-toolgate-egress: EGRESS_BAD_REQUEST\r\n\r\n');
      return;
    }
    const host = normalizeHost(match[1] as string);
    const port = Number(match[2]);
    const verdict = await report('CONNECT', host, port, await check(host, port));
    if (!verdict.ok) {
      const status =
        verdict.code === 'EGRESS_DNS_FAILED'
          ? '502 Bad Gateway'
          : verdict.code === 'EGRESS_UNLOGGED'
            ? '503 Service Unavailable'
            : '403 Forbidden';
      client.end(
        `HTTP/1.1 ${status}\r\nx-toolgate-egress: ${verdict.code}\r\ncontent-length: 0\r\n\r\n`,
      );
      return;
    }
    const upstream = connect({ host: verdict.address, port });
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', (error) => {
      void record({
        decision: 'deny',
        method: 'CONNECT',
        host,
        port,
        code: 'EGRESS_CONNECT_FAILED',
        reason: error.message,
      });
      client.end(
        'HTTP/1.1 502 Bad Gateway\r\nx-toolgate-egress: EGRESS_CONNECT_FAILED\r\ncontent-length: 0\r\n\r\n',
      );
    });
    client.on('close', () => upstream.destroy());
  };

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => resolveListen());
  });
  // The sandboxed server may run as another uid; the socket's directory (0700) keeps other host users out.
  await chmod(options.socketPath, 0o666);
  return {
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
};
