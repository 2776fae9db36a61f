import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  isJsonContentType,
  validateHostHeader,
  validateOriginHeader,
} from '@modelcontextprotocol/server';
import type { NodeServerResponseLike } from '@modelcontextprotocol/node';
import { GatewayError, HttpError, type HttpErrorCode } from '../errors.js';
import type { JsonRpcId } from '../transport/frame.js';
import { toWireError } from '../transport/to-json-rpc-error.js';

/** Where MCP is served. */
export const MCP_PATH = '/mcp';

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
  HTTP_METRICS_FORBIDDEN: 403,
} as const satisfies Record<HttpErrorCode, number>;

/**
 * Node holds response headers back until the first body chunk; an SSE stream (the GET stream
 * above all) may send nothing for a while, so its headers are flushed at once.
 */
export const flushingHeaders = (res: ServerResponse): NodeServerResponseLike => ({
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
export const checkRequest = (
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
export const readBodyWithin = async (
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
export const callerKey = (req: IncomingMessage): string => {
  const auth = req.headers.authorization;
  const basis =
    auth !== undefined ? `auth:${auth}` : `addr:${req.socket.remoteAddress ?? 'unknown'}`;
  return createHash('sha256').update(basis).digest('hex');
};

/** The principal id of a stateless request without an authenticated agent, from its Authorization header. */
export const callerPrincipal = (auth: string | null | undefined): string =>
  auth
    ? `http:${createHash('sha256').update(`auth:${auth}`).digest('hex').slice(0, 16)}`
    : 'http:anonymous';

export const idOf = (body: unknown): JsonRpcId | undefined => {
  const id = (body as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
};

const statusOf = (error: unknown): number => {
  if (error instanceof HttpError) return STATUS[error.code];
  return error instanceof GatewayError ? 400 : 500;
};

const errorBody = (error: unknown, id: JsonRpcId | undefined): string =>
  JSON.stringify({ jsonrpc: '2.0', id: id ?? null, error: toWireError(error) });

export const errorResponse = (error: unknown, id?: JsonRpcId): Response =>
  new Response(errorBody(error, id), {
    status: statusOf(error),
    headers: { 'content-type': 'application/json' },
  });

export const writeError = (
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

export const writeJson = (res: ServerResponse, body: unknown): void => {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
  res.end(JSON.stringify(body));
};

export const METADATA_PATH = '/.well-known/oauth-protected-resource';
/** RFC 9728: the metadata sits at the well-known path, also with the resource's path appended. */
export const isMetadataRequest = (req: IncomingMessage): boolean => {
  const path = (req.url ?? '/').split('?')[0];
  return req.method === 'GET' && (path === METADATA_PATH || path === `${METADATA_PATH}${MCP_PATH}`);
};
