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
import type { Params } from '../core/interceptor.js';
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
 * The stdio front's `tools/call` fast path. A plain call (`name` and `arguments` only) on an
 * initialized 2025-era session skips the SDK `Server`'s per-message machinery (era routing, envelope
 * lifting, context building, the JSON-RPC shape probes), which costs more than the gateway's whole
 * chain, but not its decisions: the request and the result are validated and encoded by the SDK's own
 * codec for the session's era, the call goes through `gateway.request` and so through THE chain like
 * any other, errors leave through `toProtocolError` and are encoded as the SDK encodes them, and a
 * cancelled call is answered by nobody, as in the SDK. Anything else (other methods, `_meta`,
 * 2026-07-28 clients, a request the codec refuses) returns `false` and goes to the SDK unchanged.
 */
export const createFastCall = (
  current: () => FrontServer | undefined,
  reply: (message: JSONRPCMessage) => void,
) => {
  const inFlight = new Map<JsonRpcId, AbortController>();

  const call = (
    front: FrontServer,
    { codec, serverInfo }: ServerInternals,
    id: JsonRpcId,
    params: Params,
  ): void => {
    const controller = new AbortController();
    inFlight.set(id, controller);
    const fail = (code: number, message: string, data?: unknown) =>
      reply({
        jsonrpc: '2.0',
        id,
        error: { code: codec.encodeErrorCode(code), message, ...(data !== undefined && { data }) },
      });
    front.gateway
      .request(front.session, serverChannel(front), 'tools/call', params, controller.signal)
      .then(
        (result) => {
          if (controller.signal.aborted) return;
          const projected = front.server.projectCallToolResult(result as CallToolResult, undefined);
          if (isInputRequiredResult(projected))
            return fail(
              ProtocolErrorCode.InternalError,
              `Handler for tools/call returned an input-required result, but this request is served on protocol revision ${front.server.getNegotiatedProtocolVersion() ?? LATEST_PROTOCOL_VERSION}, which has no input_required vocabulary`,
            );
          const valid = codec.validateResult('tools/call', normalizeContentless(projected));
          if (!valid.ok)
            return fail(
              valid.reason === 'not-in-era'
                ? ProtocolErrorCode.InternalError
                : ProtocolErrorCode.InvalidParams,
              valid.reason === 'not-in-era'
                ? 'No wire schema for tools/call in the resolved era'
                : `Invalid tools/call result: ${valid.message}`,
            );
          let encoded: Result;
          try {
            encoded = codec.encodeResult('tools/call', valid.value as Result, serverInfo());
          } catch {
            return fail(ProtocolErrorCode.InternalError, 'Internal error');
          }
          reply({ result: encoded, jsonrpc: '2.0', id });
        },
        (error: unknown) => {
          if (controller.signal.aborted) return;
          const wire = toProtocolError(error) as unknown as {
            code?: unknown;
            message?: string;
            data?: unknown;
          };
          const code = Number.isSafeInteger(wire.code)
            ? (wire.code as number)
            : ProtocolErrorCode.InternalError;
          fail(code, wire.message ?? 'Internal error', wire.data);
        },
      )
      .finally(() => {
        if (inFlight.get(id) === controller) inFlight.delete(id);
      });
  };

  /** Offered every accepted client frame; true when the fast path answers it (the SDK never sees it). */
  const intercept = (message: JsonRpcMessage): boolean => {
    const method = message['method'];
    if (method === 'notifications/cancelled') {
      // Ours are aborted here; the SDK still sees the notification for the calls it serves.
      const params = message['params'] as { requestId?: JsonRpcId; reason?: unknown } | undefined;
      if (params?.requestId !== undefined) inFlight.get(params.requestId)?.abort(params.reason);
      return false;
    }
    if (method !== 'tools/call' || !('id' in message) || !isPlainCall(message['params']))
      return false;
    const front = current();
    if (
      !front ||
      front.session.era !== 'legacy' ||
      front.server.getClientCapabilities() === undefined
    )
      return false;
    const internals = serverInternals(front.server);
    if (!internals?.codec.hasRequestMethod('tools/call')) return false;
    const params = message['params'] as Params;
    if (!isWellFormedCall(params)) return false; // the SDK answers it, with its own error
    call(front, internals, message['id'] as JsonRpcId, params);
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
