import type { IncomingMessage, ServerResponse } from 'node:http';
import { SdkError, SdkErrorCode, type JSONRPCMessage } from '@modelcontextprotocol/server';
import type { Params } from '../core/interceptor.js';
import type { JsonRpcId, JsonRpcMessage } from '../transport/frame.js';
import { sendLogged } from '../transport/outbound.js';
import { answerPlainCall, plainCallInternals } from './fast-call.js';
import type { LegacySession, LegacySessions } from './http-sessions.js';

/** The calls each session's fast path has in flight, for `notifications/cancelled`. */
const inFlight = new WeakMap<LegacySession, Map<JsonRpcId, AbortController>>();

/** Client capabilities under which a server may send the client a request in the middle of a call. */
const ASKABLE = ['sampling', 'elicitation', 'roots'] as const;

/**
 * Whether the session's client can only get a plain answer to a plain call: it declared nothing a
 * server could ask it mid-call (sampling, elicitation, roots), and a plain call has no progress token,
 * so nothing but the result can belong to the exchange. Only such an exchange may skip the SDK's event
 * stream; the others keep it, and are served by the SDK transport.
 */
const answersPlainly = (session: LegacySession): boolean => {
  const declared = session.front.server.getClientCapabilities() ?? {};
  return ASKABLE.every((name) => declared[name] === undefined);
};

/** Whether the request carries what the SDK transport would check first: both media types accepted, the session's revision. */
const headersFit = (req: IncomingMessage, session: LegacySession): boolean => {
  const accept = req.headers.accept ?? '';
  return (
    accept.includes('application/json') &&
    accept.includes('text/event-stream') &&
    req.headers['mcp-protocol-version'] === session.front.server.getNegotiatedProtocolVersion()
  );
};

/**
 * The HTTP front's fast path for 2025-era sessions. A plain `tools/call` (see `fast-call.ts`) whose
 * client cannot be asked anything mid-call is answered with one JSON body on the same keep-alive
 * connection: no web `Request`/`Response` objects, no SDK transport routing, no event stream. The
 * call goes through `gateway.request`, and so through THE chain; the answer leaves through the way out
 * (`sendLogged`: pending audit lines first) and is encoded by the SDK's codec for the session's era.
 * A `notifications/cancelled` for one of these calls aborts it. Returns false for anything else,
 * which the SDK serves unchanged (and refuses with its own codes).
 */
export const serveFast = (
  sessions: LegacySessions,
  req: IncomingMessage,
  res: ServerResponse,
  message: unknown,
  caller: string,
): boolean => {
  const sessionId = req.headers['mcp-session-id'];
  if (req.method !== 'POST' || typeof sessionId !== 'string') return false;
  const session = sessions.owned(sessionId, caller);
  if (!session || !headersFit(req, session)) return false;
  const body = message as JsonRpcMessage;
  if (body['method'] === 'notifications/cancelled') return cancel(session, body, res);
  const internals = plainCallInternals(body, session.front);
  const id = body['id'] as JsonRpcId;
  if (!internals || !answersPlainly(session) || session.pending.has(id)) return false;
  const calls = inFlight.get(session) ?? new Map<JsonRpcId, AbortController>();
  inFlight.set(session, calls);
  const controller = new AbortController();
  calls.set(id, controller);
  session.pending.add(id);
  session.busy++;
  session.lastSeen = Date.now();
  // The client hung up: the call is aborted, as the SDK aborts a handler whose stream closed.
  const hungUp = () => {
    if (!res.writableFinished)
      controller.abort(new SdkError(SdkErrorCode.ConnectionClosed, 'Connection closed'));
  };
  res.once('close', hungUp);
  const send = sendLogged(session.front.gateway.outbound, (answer: JSONRPCMessage) => {
    writeAnswer(res, sessionId, answer);
    return Promise.resolve();
  });
  void answerPlainCall(session.front, internals, id, body['params'] as Params, controller.signal)
    .then((answer) => (answer ? send(answer) : endCancelled(res)))
    .catch(() => res.destroy())
    .finally(() => {
      if (calls.get(id) === controller) calls.delete(id);
      session.pending.delete(id);
      session.busy--;
      session.lastSeen = Date.now();
      res.off('close', hungUp);
    });
  return true;
};

/** A cancellation of a fast-path call aborts it; any other goes on to the SDK, which serves the rest. */
const cancel = (session: LegacySession, body: JsonRpcMessage, res: ServerResponse): boolean => {
  const params = body['params'] as { requestId?: JsonRpcId; reason?: unknown } | undefined;
  const controller =
    params?.requestId === undefined ? undefined : inFlight.get(session)?.get(params.requestId);
  if (!controller) return false;
  controller.abort(params?.reason);
  session.lastSeen = Date.now();
  res.writeHead(202).end();
  return true;
};

const writeAnswer = (res: ServerResponse, sessionId: string, answer: JSONRPCMessage): void => {
  if (res.destroyed || res.headersSent) return;
  const body = JSON.stringify(answer);
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'mcp-session-id': sessionId,
  });
  res.end(body);
};

/** A cancelled call is answered by nobody (as in the SDK): its exchange ends without a body. */
const endCancelled = (res: ServerResponse): void => {
  if (!res.destroyed && !res.headersSent) res.writeHead(204).end();
};
