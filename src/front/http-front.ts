import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  isLegacyRequest,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  validateHostHeader,
} from '@modelcontextprotocol/server';
import { toNodeHandler, type NodeIncomingMessageLike } from '@modelcontextprotocol/node';
import type { Authenticate } from '../auth/authenticate.js';
import type { Principal } from '../core/principal.js';
import type { Gateway } from '../gateway/gateway.js';
import { FrameError, GatewayError, HttpError, LimitError } from '../errors.js';
import { decodeFrame } from '../transport/frame.js';
import { serveFast } from './http-fast.js';
import {
  callerKey,
  checkRequest,
  errorResponse,
  flushingHeaders,
  idOf,
  isMetadataRequest,
  MCP_PATH,
  METADATA_PATH,
  readBodyWithin,
  writeError,
  writeJson,
} from './http-gates.js';
import { createModernFront } from './http-modern.js';
import { createStatelessFast } from './http-stateless.js';
import { LegacySessions } from './http-sessions.js';
import { listenOn, type Listening } from './listen.js';
import { createOpsHandler, type OpsOptions } from './ops.js';
import { frontLimits } from './stdio-front.js';

export interface HttpFrontHandle extends Listening {
  /** Open 2025-era sessions. */
  sessions(): number;
}

/**
 * Serves MCP over Streamable HTTP at `/mcp`, and the operations endpoints (`ops.ts`: `/healthz`,
 * `/readyz`, metrics unless they have a listener of their own). Every MCP request passes the
 * gateway's own gates first (Host, Origin, method, Content-Type, body size, then the frame checks of
 * `decodeFrame`), and only then reaches the SDK, with the body already parsed. 2025-era traffic gets
 * sessionful serving (sessions bound to their caller; a plain call answered as JSON by `http-fast.ts`);
 * 2026-07-28 traffic is stateless, one front session per request.
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
  ops: OpsOptions = {},
): Promise<HttpFrontHandle> => {
  const limits = frontLimits(gateway);
  const { maxSessions, maxSessionsPerCaller, maxSessionsPerAddress, sessionIdleMs } =
    gateway.config.http;
  const observe = ops.metrics?.observe;
  const legacy = new LegacySessions(gateway, {
    maxSessions,
    maxSessionsPerCaller,
    maxSessionsPerAddress,
    idleMs: sessionIdleMs,
    maxRequestBodySize: limits.maxMessageBytes,
    ...(observe && { observe }),
  });
  /** The agent each authenticated request runs as (a 2026-07-28 request has no session to carry it). */
  const authenticated = new WeakMap<Request, Principal>();
  const modern = createModernFront(gateway, authenticated, {
    maxRequestBodySize: limits.maxMessageBytes,
    onError,
    ...(observe && { observe }),
  });
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
  const serveStateless = createStatelessFast(gateway, observe);
  const admit = createAdmission(gateway, authenticate);
  const opsHandler = createOpsHandler(gateway, {
    ...ops,
    metrics: gateway.config.http.metrics.listen === undefined ? ops.metrics : undefined,
  });
  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const served = opsHandler(req, res);
    if (served) return served;
    const admitted = await admit(req, res);
    if (!admitted) return;
    const { principal, parsedBody } = admitted;
    // Authenticated, a session belongs to its agent, whatever token (rotated or not) it comes with.
    const caller = principal
      ? createHash('sha256').update(`agent:${principal.id}`).digest('hex')
      : callerKey(req);
    if (
      parsedBody !== undefined &&
      (serveFast(legacy, req, res, parsedBody, caller) ||
        serveStateless(req, res, parsedBody, principal))
    )
      return;
    const address = req.socket.remoteAddress ?? 'unknown';
    // toNodeHandler writes the Response back with backpressure (SSE streams included).
    await toNodeHandler(
      { fetch: (request) => route(request, parsedBody, caller, address, principal) },
      { maxRequestBodySize: limits.maxMessageBytes, onerror: onError },
    )(req as NodeIncomingMessageLike, flushingHeaders(res), parsedBody);
  };
  const listening = await listenOn(listen, onRequest, onError, MCP_PATH, async () => {
    await legacy.close();
    await modern.close().catch(() => undefined);
  });
  return { ...listening, sessions: () => legacy.size };
};

/**
 * The gates of one MCP request, in order: the OAuth metadata document (answered here), Host, Origin,
 * path, method and Content-Type, the bearer token, then the body (size, arrival time, frame checks).
 * Answers a refused request itself and resolves undefined; else the caller's principal and the body.
 */
const createAdmission = (gateway: Gateway, authenticate: Authenticate | undefined) => {
  const limits = frontLimits(gateway);
  const { allowedHosts, allowedOrigins, bodyTimeoutMs } = gateway.config.http;
  const hosts = [...localhostAllowedHostnames(), ...allowedHosts];
  const originHosts = [
    ...localhostAllowedOrigins(),
    ...allowedOrigins.filter((o) => !o.includes('://')),
  ];
  const exactOrigins = new Set(allowedOrigins.filter((o) => o.includes('://')));
  return async (
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ principal: Principal | undefined; parsedBody: unknown } | undefined> => {
    if (authenticate && isMetadataRequest(req) && validateHostHeader(req.headers.host, hosts).ok)
      return void writeJson(res, authenticate.metadata(`http://${req.headers.host}${MCP_PATH}`));
    const refused = checkRequest(req, hosts, originHosts, exactOrigins);
    if (refused) return void writeError(res, refused);
    let principal: Principal | undefined;
    if (authenticate) {
      const outcome = await authenticate.check({
        authorization: req.headers.authorization,
        url: req.url ?? '/',
        metadataUrl: `http://${req.headers.host}${METADATA_PATH}${MCP_PATH}`,
      });
      if (!outcome.ok)
        return void writeError(res, outcome.error, undefined, {
          'www-authenticate': outcome.challenge,
        });
      principal = outcome.principal;
    }
    if (req.method !== 'POST') return { principal, parsedBody: undefined };
    const body = await readBodyWithin(req, limits.maxMessageBytes, bodyTimeoutMs);
    if (body === 'timeout') {
      // A stalled body would hold its connection (and its memory) until Node's request timeout.
      res.once('finish', () => req.destroy());
      return void writeError(
        res,
        new HttpError(
          'HTTP_BODY_TIMEOUT',
          `the request body did not arrive within ${bodyTimeoutMs} ms`,
        ),
      );
    }
    if (body === undefined)
      return void writeError(
        res,
        new HttpError('HTTP_BODY_TOO_LARGE', `body exceeds ${limits.maxMessageBytes} bytes`),
      );
    const frame = decodeFrame(body, limits);
    if (frame.ok) return { principal, parsedBody: frame.message };
    const error = frame.code.startsWith('LIMIT_')
      ? new LimitError(frame.code as 'LIMIT_TOO_DEEP', frame.message)
      : new FrameError(frame.code as 'FRAME_PARSE_ERROR', frame.message);
    return void writeError(res, error, frame.id);
  };
};
