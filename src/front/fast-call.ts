import {
  isInputRequiredResult,
  LATEST_PROTOCOL_VERSION,
  ProtocolErrorCode,
  SdkError,
  SdkErrorCode,
  type CallToolResult,
  type JSONRPCMessage,
  type Result,
} from '@modelcontextprotocol/server';
import type { JsonRpcId, JsonRpcMessage } from '../transport/frame.js';
import type { ClientChannel, Params } from '../core/interceptor.js';
import { serverChannel, type FrontServer } from './front-server.js';
import { toProtocolError } from '../transport/to-json-rpc-error.js';
import { serverInternals, type ServerInternals } from '../transport/sdk-internals.js';

/** `normalizeContentlessToolResult` of the SDK: a result without `content` gets `content: []`. */
const FOREIGN_RESULT_KEYS = ['task', 'inputRequests', 'requestState'];
const normalizeContentless = (value: unknown): unknown =>
  value === null ||
  typeof value !== 'object' ||
  Array.isArray(value) ||
  (value as Params)['content'] !== undefined ||
  FOREIGN_RESULT_KEYS.some((key) => key in (value as Params))
    ? value
    : { ...(value as Params), content: [] };

/** Only `name` and `arguments`: nothing for the SDK to lift (`_meta`, progress, tasks, envelope claims). */
const isPlainCall = (params: unknown): boolean => {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return false;
  for (const key in params) if (key !== 'name' && key !== 'arguments') return false;
  return true;
};

const isRecord = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What the era codec's `tools/call` request schema checks of a plain call (`name` and `arguments`
 * only, a JSON-RPC envelope already checked by the frame decoder): a string name and, if present, an
 * object of arguments. Checked here without zod (a parse per call); `fast-call.test.ts` holds it to
 * the codec's verdict on any params.
 */
export const isWellFormedCall = (params: Params): boolean =>
  typeof params['name'] === 'string' &&
  (params['arguments'] === undefined || isRecord(params['arguments']));

/**
 * The SDK internals a plain `tools/call` of `message` may be answered with, past the SDK `Server`'s
 * per-message machinery: only for a plain, well-formed call on an initialized 2025-era session whose
 * codec knows `tools/call`. Anything else is undefined, and goes to the SDK unchanged (which answers a
 * request its codec refuses with its own error).
 */
export const plainCallInternals = (
  message: JsonRpcMessage,
  front: FrontServer | undefined,
): ServerInternals | undefined => {
  if (message['method'] !== 'tools/call' || !('id' in message)) return undefined;
  const params = message['params'];
  if (!isPlainCall(params) || !isWellFormedCall(params as Params)) return undefined;
  if (!front || front.session.era !== 'legacy') return undefined;
  if (front.server.getClientCapabilities() === undefined) return undefined;
  const internals = serverInternals(front.server);
  return internals?.codec.hasRequestMethod('tools/call') ? internals : undefined;
};

/** The error answer to call `id`, its code encoded as the session's era encodes it. */
const errorOf = (
  { codec }: ServerInternals,
  id: JsonRpcId,
  code: number,
  message: string,
  data?: unknown,
): JSONRPCMessage => ({
  jsonrpc: '2.0',
  id,
  error: { code: codec.encodeErrorCode(code), message, ...(data !== undefined && { data }) },
});

/**
 * How a session's era answers a `tools/call`: the SDK's codec and identity (`internals`), the era's
 * result projection, and the negotiated revision (named in one error message).
 */
export interface CallEncoder {
  readonly internals: ServerInternals;
  readonly project: (result: CallToolResult) => unknown;
  readonly version: string | undefined;
}

/** The encoder of an initialized 2025-era front session: its own `Server`'s projection and revision. */
const sessionEncoder = (front: FrontServer, internals: ServerInternals): CallEncoder => ({
  internals,
  project: (result) => front.server.projectCallToolResult(result, undefined),
  version: front.server.getNegotiatedProtocolVersion(),
});

/** A gateway result as the SDK would answer it: projected, validated and encoded by the era codec. */
const encodeCallResult = (
  { internals, project, version }: CallEncoder,
  id: JsonRpcId,
  result: unknown,
): JSONRPCMessage => {
  const { codec, serverInfo } = internals;
  const projected = project(result as CallToolResult);
  if (isInputRequiredResult(projected))
    return errorOf(
      internals,
      id,
      ProtocolErrorCode.InternalError,
      `Handler for tools/call returned an input-required result, but this request is served on protocol revision ${version ?? LATEST_PROTOCOL_VERSION}, which has no input_required vocabulary`,
    );
  const valid = codec.validateResult('tools/call', normalizeContentless(projected));
  if (!valid.ok)
    return valid.reason === 'not-in-era'
      ? errorOf(
          internals,
          id,
          ProtocolErrorCode.InternalError,
          'No wire schema for tools/call in the resolved era',
        )
      : errorOf(
          internals,
          id,
          ProtocolErrorCode.InvalidParams,
          `Invalid tools/call result: ${valid.message}`,
        );
  try {
    return {
      result: codec.encodeResult('tools/call', valid.value as Result, serverInfo()),
      jsonrpc: '2.0',
      id,
    };
  } catch {
    return errorOf(internals, id, ProtocolErrorCode.InternalError, 'Internal error');
  }
};

/** A gateway error as the SDK would answer it: through `toProtocolError`, then the era's encoding. */
const encodeCallError = (
  internals: ServerInternals,
  id: JsonRpcId,
  error: unknown,
): JSONRPCMessage => {
  const wire = toProtocolError(error) as unknown as {
    code?: unknown;
    message?: string;
    data?: unknown;
  };
  const code = Number.isSafeInteger(wire.code)
    ? (wire.code as number)
    : ProtocolErrorCode.InternalError;
  return errorOf(internals, id, code, wire.message ?? 'Internal error', wire.data);
};

/** Where a plain call runs: the gateway, the front session it runs in, its way back to the client, its metrics. */
export interface CallTarget {
  readonly gateway: FrontServer['gateway'];
  readonly session: FrontServer['session'];
  readonly channel: ClientChannel;
  readonly observe: FrontServer['observe'];
}

/**
 * Runs one plain `tools/call` through `gateway.request`, and so through THE chain like any other
 * call, and resolves with its answer as the SDK would have encoded it for the encoder's era, or
 * undefined when `signal` was aborted meanwhile (a cancelled call is answered by nobody, as in the SDK).
 */
export const answerCall = async (
  target: CallTarget,
  encoder: CallEncoder,
  id: JsonRpcId,
  params: Params,
  signal: AbortSignal,
): Promise<JSONRPCMessage | undefined> => {
  let result: unknown;
  const done = target.observe('tools/call');
  try {
    result = await target.gateway.request(
      target.session,
      target.channel,
      'tools/call',
      params,
      signal,
    );
  } catch (error) {
    done(error);
    return signal.aborted ? undefined : encodeCallError(encoder.internals, id, error);
  }
  done();
  return signal.aborted ? undefined : encodeCallResult(encoder, id, result);
};

/** {@link answerCall} for a plain call (see {@link plainCallInternals}) of an initialized 2025-era session. */
export const answerPlainCall = (
  front: FrontServer,
  internals: ServerInternals,
  id: JsonRpcId,
  params: Params,
  signal: AbortSignal,
): Promise<JSONRPCMessage | undefined> =>
  answerCall(
    { ...front, channel: serverChannel(front) },
    sessionEncoder(front, internals),
    id,
    params,
    signal,
  );

/**
 * The stdio front's `tools/call` fast path. A plain call on an initialized 2025-era session skips the
 * SDK `Server`'s per-message machinery (era routing, envelope lifting, context building, the JSON-RPC
 * shape probes), which costs more than the gateway's whole chain, but not its decisions: the request
 * and the result are validated and encoded by the SDK's own codec for the session's era, the call goes
 * through THE chain, and errors leave through `toProtocolError`. Anything else returns `false` from
 * `intercept` and goes to the SDK unchanged.
 */
export const createFastCall = (
  current: () => FrontServer | undefined,
  reply: (message: JSONRPCMessage) => void,
) => {
  const inFlight = new Map<JsonRpcId, AbortController>();

  /** Offered every accepted client frame; true when the fast path answers it (the SDK never sees it). */
  const intercept = (message: JsonRpcMessage): boolean => {
    if (message['method'] === 'notifications/cancelled') {
      // Ours are aborted here; the SDK still sees the notification for the calls it serves.
      const params = message['params'] as { requestId?: JsonRpcId; reason?: unknown } | undefined;
      if (params?.requestId !== undefined) inFlight.get(params.requestId)?.abort(params.reason);
      return false;
    }
    const front = current();
    const internals = plainCallInternals(message, front);
    if (!front || !internals) return false;
    const id = message['id'] as JsonRpcId;
    const controller = new AbortController();
    inFlight.set(id, controller);
    void answerPlainCall(front, internals, id, message['params'] as Params, controller.signal)
      .then((answer) => answer && reply(answer))
      .finally(() => {
        if (inFlight.get(id) === controller) inFlight.delete(id);
      });
    return true;
  };

  /** The connection closed: every call in flight is aborted, as the SDK aborts its handlers. */
  const closed = (): void => {
    const error = new SdkError(SdkErrorCode.ConnectionClosed, 'Connection closed');
    for (const controller of inFlight.values()) controller.abort(error);
    inFlight.clear();
  };

  return { intercept, closed };
};
