import { createHash } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createMcpHandler,
  isJsonContentType,
  isLegacyRequest,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  validateHostHeader,
  validateOriginHeader,
} from '@modelcontextprotocol/server';
import {
  toNodeHandler,
  type NodeIncomingMessageLike,
  type NodeServerResponseLike,
} from '@modelcontextprotocol/node';
import type { Authenticate } from '../auth/authenticate.js';
import type { Principal } from '../core/principal.js';
import type { Gateway } from '../gateway/gateway.js';
import { FrameError, GatewayError, HttpError, LimitError, type HttpErrorCode } from '../errors.js';
import { decodeFrame, type JsonRpcId } from '../transport/frame.js';
import { createFrontServer } from './front-server.js';
import { LegacySessions } from './http-sessions.js';
import { frontLimits } from './stdio-front.js';
import { toWireError } from '../transport/to-json-rpc-error.js';
import { connectLogged } from '../transport/outbound.js';

const MCP_PATH = '/mcp';

export interface HttpFrontHandle {
  /** The URL clients connect to, with the port actually bound. */
  readonly url: string;
  readonly address: AddressInfo;
  close(): Promise<void>;
}

const STATUS = {
  HTTP_HOST_REJECTED: 403,
  HTTP_ORIGIN_REJECTED: 403,
  HTTP_BODY_TOO_LARGE: 413,
  HTTP_UNSUPPORTED_MEDIA_TYPE: 415,
  HTTP_SESSION_UNKNOWN: 404,
  HTTP_SESSION_FORBIDDEN: 403,
  HTTP_METHOD_NOT_ALLOWED: 405,
  HTTP_NOT_FOUND: 404,
  HTTP_TOO_MANY_SESSIONS: 503,
  HTTP_CALLER_SESSIONS: 429,
  HTTP_BODY_TIMEOUT: 408,
  HTTP_UNAUTHORIZED: 401,
  HTTP_INSUFFICIENT_SCOPE: 403,
  HTTP_TOKEN_IN_QUERY: 400,
} as const satisfies Record<HttpErrorCode, number>;

/**
 * Serves MCP over Streamable HTTP at `/mcp`. Every request passes the gateway's own gates first
 * (Host, Origin, method, Content-Type, body size, then the frame checks of `decodeFrame`), and only
 * then reaches the SDK, with the body already parsed. 2025-era traffic gets sessionful serving
 * (sessions bound to their caller); 2026-07-28 traffic is stateless, one front session per request.
 *
 * @example
 * const front = await serveHttpFront(gateway, { host: '127.0.0.1', port: 0 });
 * console.error(front.url); // http://127.0.0.1:54321/mcp
 */
export const serveHttpFront = async (
  gateway: Gateway,
  listen: { host: string; port: number },
  onError: (error: Error) => void = () => undefined,
  authenticate?: Authenticate,
): Promise<HttpFrontHandle> => {
  const limits = frontLimits(gateway);
  const {
    allowedHosts,
    allowedOrigins,
    maxSessions,
    maxSessionsPerCaller,
    maxSessionsPerAddress,
    sessionIdleMs,
    bodyTimeoutMs,
  } = gateway.config.http;
  const hosts = [...localhostAllowedHostnames(), ...allowedHosts];
  const originHosts = [
    ...localhostAllowedOrigins(),
    ...allowedOrigins.filter((o) => !o.includes('://')),
  ];
  const exactOrigins = new Set(allowedOrigins.filter((o) => o.includes('://')));

  const legacy = new LegacySessions(gateway, {
    maxSessions,
    maxSessionsPerCaller,
    maxSessionsPerAddress,
    idleMs: sessionIdleMs,
    maxRequestBodySize: limits.maxMessageBytes,
  });
  const modern = createMcpHandler(
    (ctx) => {
      const request = ctx.requestInfo;
      const principal = (request && authenticated.get(request)) ?? {
        id: callerPrincipal(request),
        transport: 'http' as const,
      };
      const front = createFrontServer(gateway, principal, 'modern');
      // The per-request transport closes when its exchange ends: the front session ends with it.
      front.server.onclose = front.detach;
      connectLogged(gateway.outbound, front.server);
      return front.server;
    },
    { legacy: 'reject', maxRequestBodySize: limits.maxMessageBytes, onerror: onError },
  );
  // A 2026-07-28 client has no session here: list changes reach it on its `subscriptions/listen` stream.
  const unlisten = gateway.onListChanged((method) => {
    switch (method) {
      case 'notifications/tools/list_changed':
        return modern.notify.toolsChanged();
      case 'notifications/prompts/list_changed':
        return modern.notify.promptsChanged();
      case 'notifications/resources/list_changed':
        return modern.notify.resourcesChanged();
      default:
        return method satisfies never;
    }
  });

  /** The agent each authenticated request runs as (a 2026-07-28 request has no session to carry it). */
  const authenticated = new WeakMap<Request, Principal>();
  const route = async (
    request: Request,
    parsedBody: unknown,
    caller: string,
    address: string,
    principal: Principal | undefined,
  ): Promise<Response> => {
    try {
      if (
        await isLegacyRequest(request, parsedBody, { maxRequestBodySize: limits.maxMessageBytes })
      )
        return await legacy.handle(request, caller, address, parsedBody, principal);
      if (principal) authenticated.set(request, principal);
      return await modern.fetch(request, parsedBody === undefined ? {} : { parsedBody });
    } catch (error) {
      if (error instanceof GatewayError) return errorResponse(error, idOf(parsedBody));
      throw error;
    }
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (authenticate && isMetadataRequest(req) && validateHostHeader(req.headers.host, hosts).ok)
      return writeJson(res, authenticate.metadata(`http://${req.headers.host}${MCP_PATH}`));
    const refused = checkRequest(req, hosts, originHosts, exactOrigins);
    if (refused) return writeError(res, refused);
    let principal: Principal | undefined;
    if (authenticate) {
      const outcome = await authenticate.check({
        authorization: req.headers.authorization,
        url: req.url ?? '/',
        metadataUrl: `http://${req.headers.host}${METADATA_PATH}${MCP_PATH}`,
      });
      if (!outcome.ok)
        return writeError(res, outcome.error, undefined, { 'www-authenticate': outcome.challenge });
      principal = outcome.principal;
    }
    let parsedBody: unknown;
    if (req.method === 'POST') {
      const body = await readBodyWithin(req, limits.maxMessageBytes, bodyTimeoutMs);
      if (body === 'timeout') {
        // A stalled body would hold its connection (and its memory) until Node's request timeout.
        res.once('finish', () => req.destroy());
        return writeError(
          res,
          new HttpError(
            'HTTP_BODY_TIMEOUT',
            `the request body did not arrive within ${bodyTimeoutMs} ms`,
          ),
        );
      }
      if (body === undefined)
        return writeError(
          res,
          new HttpError('HTTP_BODY_TOO_LARGE', `body exceeds ${limits.maxMessageBytes} bytes`),
        );
      const frame = decodeFrame(body, limits);
      if (!frame.ok) {
        const error = frame.code.startsWith('LIMIT_')
          ? new LimitError(frame.code as 'LIMIT_TOO_DEEP', frame.message)
          : new FrameError(frame.code as 'FRAME_PARSE_ERROR', frame.message);
        return writeError(res, error, frame.id);
      }
      parsedBody = frame.message;
    }
    // Authenticated, a session belongs to its agent, whatever token (rotated or not) it comes with.
    const caller = principal
      ? createHash('sha256').update(`agent:${principal.id}`).digest('hex')
      : callerKey(req);
    const address = req.socket.remoteAddress ?? 'unknown';
    // toNodeHandler writes the Response back with backpressure (SSE streams included).
    await toNodeHandler(
      { fetch: (request) => route(request, parsedBody, caller, address, principal) },
      { maxRequestBodySize: limits.maxMessageBytes, onerror: onError },
    )(req as NodeIncomingMessageLike, flushingHeaders(res), parsedBody);
  };

  const server = createServer((req, res) => {
    onRequest(req, res).catch((error: unknown) => {
      onError(error as Error);
      if (!res.headersSent) writeError(res, new Error('unexpected'));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostPart}:${address.port}${MCP_PATH}`,
    address,
    close: () => {
      unlisten();
      return closeAll(server, legacy, modern.close);
    },
  };
};

/**
 * Node holds response headers back until the first body chunk; an SSE stream (the GET stream
 * above all) may send nothing for a while, so its headers are flushed at once.
 */
const flushingHeaders = (res: ServerResponse): NodeServerResponseLike => ({
  writeHead: (status, headers) => {
    res.writeHead(status, headers);
    if (String(headers?.['content-type'] ?? '').startsWith('text/event-stream')) res.flushHeaders();
    return res;
  },
  write: (chunk) => res.write(chunk),
  end: (chunk) => (chunk === undefined ? res.end() : res.end(chunk)),
  on: (event, listener) => res.on(event, listener),
  get destroyed() {
    return res.destroyed;
  },
});

/** The gates every request passes before anything is read: path, Host, Origin, method, Content-Type. */
const checkRequest = (
  req: IncomingMessage,
  hosts: string[],
  originHosts: string[],
  exactOrigins: ReadonlySet<string>,
): HttpError | undefined => {
  // DNS rebinding: a browser tricked into calling us sends the attacker's Host (HTTP-2).
  if (!validateHostHeader(req.headers.host, hosts).ok)
    return new HttpError('HTTP_HOST_REJECTED', 'Host header not allowed');
  const origin = req.headers.origin;
  if (
    origin !== undefined &&
    !exactOrigins.has(origin) &&
    !validateOriginHeader(origin, originHosts).ok
  )
    return new HttpError('HTTP_ORIGIN_REJECTED', 'Origin not allowed');
  const path = (req.url ?? '/').split('?')[0];
  if (path !== MCP_PATH) return new HttpError('HTTP_NOT_FOUND', `MCP is served at ${MCP_PATH}`);
  if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'DELETE')
    return new HttpError('HTTP_METHOD_NOT_ALLOWED', `method ${req.method ?? ''} is not allowed`);
  if (req.method === 'POST' && !isJsonContentType(req.headers['content-type'] ?? ''))
    return new HttpError('HTTP_UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
  return undefined;
};

/**
 * Reads the body up to `max` bytes; past it, the rest is drained (never buffered) and `undefined`
 * returned, so the client still reads our 413 instead of a reset connection.
 */
const readBody = async (req: IncomingMessage, max: number): Promise<Uint8Array | undefined> => {
  const declared = Number(req.headers['content-length']);
  let over = Number.isFinite(declared) && declared > max;
  const chunks: Buffer[] = [];
  let size = 0;
  let drained = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (over) {
      // A hostile client may stream forever: stop draining after a bounded amount.
      if ((drained += chunk.length) > 4 * max) {
        req.destroy();
        break;
      }
      continue;
    }
    size += chunk.length;
    if (size > max) over = true;
    else chunks.push(chunk);
  }
  return over ? undefined : Buffer.concat(chunks, size);
};

/** {@link readBody}, or `'timeout'` when the whole body has not arrived within `ms` (a slow or stalled sender). */
const readBodyWithin = async (
  req: IncomingMessage,
  max: number,
  ms: number,
): Promise<Uint8Array | undefined | 'timeout'> => {
  let timer: NodeJS.Timeout | undefined;
  const reading = readBody(req, max);
  reading.catch(() => undefined); // after a timeout the socket is destroyed under it
  try {
    return await Promise.race([
      reading,
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * Who is calling: a hash of the Authorization header when there is one (never the token itself),
 * else the remote address. A session is bound to this key (HTTP-4).
 */
const callerKey = (req: IncomingMessage): string => {
  const auth = req.headers.authorization;
  const basis =
    auth !== undefined ? `auth:${auth}` : `addr:${req.socket.remoteAddress ?? 'unknown'}`;
  return createHash('sha256').update(basis).digest('hex');
};

const callerPrincipal = (request: Request | undefined): string => {
  const auth = request?.headers.get('authorization');
  return auth
    ? `http:${createHash('sha256').update(`auth:${auth}`).digest('hex').slice(0, 16)}`
    : 'http:anonymous';
};

const idOf = (body: unknown): JsonRpcId | undefined => {
  const id = (body as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
};

const statusOf = (error: unknown): number => {
  if (error instanceof HttpError) return STATUS[error.code];
  return error instanceof GatewayError ? 400 : 500;
};

const errorBody = (error: unknown, id: JsonRpcId | undefined): string =>
  JSON.stringify({ jsonrpc: '2.0', id: id ?? null, error: toWireError(error) });

const errorResponse = (error: unknown, id?: JsonRpcId): Response =>
  new Response(errorBody(error, id), {
    status: statusOf(error),
    headers: { 'content-type': 'application/json' },
  });

const writeError = (
  res: ServerResponse,
  error: unknown,
  id?: JsonRpcId,
  headers: Record<string, string> = {},
): void => {
  const status = statusOf(error);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    ...(status === 405 && { allow: 'GET, POST, DELETE' }),
    ...((status === 413 || status === 408) && { connection: 'close' }),
  });
  res.end(errorBody(error, id));
};

const writeJson = (res: ServerResponse, body: unknown): void => {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
  res.end(JSON.stringify(body));
};

const METADATA_PATH = '/.well-known/oauth-protected-resource';
/** RFC 9728: the metadata sits at the well-known path, also with the resource's path appended. */
const isMetadataRequest = (req: IncomingMessage): boolean => {
  const path = (req.url ?? '/').split('?')[0];
  return req.method === 'GET' && (path === METADATA_PATH || path === `${METADATA_PATH}${MCP_PATH}`);
};

const closeAll = async (
  server: HttpServer,
  legacy: LegacySessions,
  closeModern: () => Promise<void>,
): Promise<void> => {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await legacy.close();
  await closeModern().catch(() => undefined);
  // Open SSE streams would keep server.close() waiting forever.
  server.closeAllConnections();
  await closed;
};
