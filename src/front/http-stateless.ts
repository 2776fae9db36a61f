import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  classifyInboundRequest,
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  SdkError,
  SdkErrorCode,
  Server,
  type JSONRPCMessage,
} from '@modelcontextprotocol/server';
import type { ClientChannel, Params } from '../core/interceptor.js';
import type { Principal } from '../core/principal.js';
import type { Gateway } from '../gateway/gateway.js';
import type { FrontSession } from '../gateway/sessions.js';
import type { JsonRpcId, JsonRpcMessage } from '../transport/frame.js';
import { sendLogged } from '../transport/outbound.js';
import { modernInternals, type ModernInternals } from '../transport/sdk-internals.js';
import { answerCall, isWellFormedCall, type CallEncoder } from './fast-call.js';
import { FRONT_IDENTITY, UNOBSERVED } from './front-server.js';
import { callerPrincipal } from './http-gates.js';
import type { CallObserver } from './metrics.js';

/** The envelope keys a plain stateless call may carry in `_meta`, and nothing else there. */
const ENVELOPE_KEYS = new Set<string>([
  PROTOCOL_VERSION_META_KEY,
  CLIENT_INFO_META_KEY,
  CLIENT_CAPABILITIES_META_KEY,
]);
/** Capabilities under which a call might be answered with a question (`input_required`) or ask the client. */
const ASKABLE = ['sampling', 'elicitation', 'roots'];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `name`, `arguments` and an envelope-only `_meta` declaring nothing the client could be asked. */
const plainParams = (params: unknown): params is Params => {
  if (!isRecord(params) || !isWellFormedCall(params)) return false;
  for (const key in params)
    if (key !== 'name' && key !== 'arguments' && key !== '_meta') return false;
  const meta = params['_meta'];
  if (!isRecord(meta)) return false;
  for (const key in meta) if (!ENVELOPE_KEYS.has(key)) return false;
  const declared = meta[CLIENT_CAPABILITIES_META_KEY];
  return isRecord(declared) && ASKABLE.every((name) => declared[name] === undefined);
};

/**
 * Whether the SDK would serve `message` as a 2026-07-28 `tools/call` with no rejection on the way:
 * its own classifier says modern at the codec's revision, the standard headers are present and agree
 * with the body, the envelope passes the codec's check, and both media types are accepted. Anything
 * else (another method, a header missing or different, a session header) goes to the SDK.
 */
const plainStatelessCall = (
  req: IncomingMessage,
  message: JsonRpcMessage,
  internals: ModernInternals,
): boolean => {
  const { headers } = req;
  const params = message['params'];
  if (message['method'] !== 'tools/call' || !plainParams(params)) return false;
  const id = message['id'];
  if (typeof id !== 'string' && typeof id !== 'number') return false;
  const revision = internals.codec.era;
  const accept = headers.accept ?? '';
  if (
    req.method !== 'POST' ||
    headers['mcp-session-id'] !== undefined ||
    headers['mcp-protocol-version'] !== revision ||
    headers['mcp-method'] !== 'tools/call' ||
    headers['mcp-name'] !== params['name'] ||
    !accept.includes('application/json') ||
    !accept.includes('text/event-stream') ||
    !internals.codec.hasRequestMethod('tools/call')
  )
    return false;
  const route = classifyInboundRequest({
    httpMethod: 'POST',
    protocolVersionHeader: revision,
    mcpMethodHeader: 'tools/call',
    mcpNameHeader: params['name'] as string,
    body: message,
  });
  if (route.kind !== 'modern' || route.classification.revision !== revision) return false;
  const envelope = params['_meta'] as Record<string, unknown>;
  return internals.codec.checkInboundEnvelope({ envelope }) === undefined;
};

/**
 * The way back to the client of a stateless call: none mid-call. A 2026-07-28 request cannot be sent
 * requests (the SDK refuses them in that era) and, declaring nothing askable, gets no `input_required`.
 */
const statelessChannel = (session: FrontSession): ClientChannel => ({
  sessionId: session.id,
  era: 'modern',
  canElicit: () => false,
  inBand: { canElicit: false, responses: undefined, state: undefined },
  request: (method) =>
    Promise.reject(new Error(`${method} cannot be sent to a stateless 2026-07-28 request`)),
  notify: () => Promise.resolve(),
});

/**
 * The HTTP front's fast path for 2026-07-28 (stateless) requests: a plain `tools/call` (see
 * {@link plainStatelessCall}) is answered without the SDK's per-request `Server`, web `Request` and
 * transport. As on the SDK path, the call runs in a front session of its own (attached to the gateway
 * for the call, as the agent `principal` names or the caller its Authorization header derives),
 * through `gateway.request` and so THE chain; the answer leaves through the way out (`sendLogged`:
 * pending audit lines first), projected, validated and encoded by the SDK's 2026-07-28 codec, as one
 * JSON body with status 200. `http-stateless.test.ts` holds its answers to the SDK path's.
 */
export const createStatelessFast = (gateway: Gateway, observe: CallObserver = UNOBSERVED) => {
  // Never connected, so never negotiated: the source of the era's codec and the front's identity.
  const identity = new Server(FRONT_IDENTITY, { capabilities: { tools: {} } });
  return (
    req: IncomingMessage,
    res: ServerResponse,
    message: unknown,
    principal: Principal | undefined,
  ): boolean => {
    const internals = modernInternals(identity);
    const body = message as JsonRpcMessage;
    if (!internals || !plainStatelessCall(req, body, internals)) return false;
    const params: Params = { ...(body['params'] as Params) };
    delete params['_meta']; // the envelope, lifted off as the SDK lifts it before the handler
    const session: FrontSession = {
      id: randomUUID(),
      principal: principal ?? {
        id: callerPrincipal(req.headers.authorization),
        transport: 'http',
      },
      era: 'modern',
      subscriptions: new Set(),
      notify: () => Promise.resolve(),
    };
    const detach = gateway.attach(session);
    const encoder: CallEncoder = {
      internals,
      project: (result) => internals.codec.projectCallToolResult(result, undefined),
      version: internals.codec.era,
    };
    const controller = new AbortController();
    // The client hung up: the call is aborted, as the SDK aborts a handler whose exchange closed.
    const hungUp = () => {
      if (!res.writableFinished)
        controller.abort(new SdkError(SdkErrorCode.ConnectionClosed, 'Connection closed'));
    };
    res.once('close', hungUp);
    const send = sendLogged(gateway.outbound, (answer: JSONRPCMessage) => {
      writeJsonAnswer(res, answer);
      return Promise.resolve();
    });
    const target = { gateway, session, channel: statelessChannel(session), observe };
    void answerCall(target, encoder, body['id'] as JsonRpcId, params, controller.signal)
      .then((answer) => (answer ? send(answer) : void res.destroy()))
      .catch(() => res.destroy())
      .finally(() => {
        detach();
        res.off('close', hungUp);
      });
    return true;
  };
};

const writeJsonAnswer = (res: ServerResponse, answer: JSONRPCMessage): void => {
  if (res.destroyed || res.headersSent) return;
  const body = JSON.stringify(answer);
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
};
