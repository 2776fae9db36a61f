import {
  ProtocolError,
  SdkError,
  SdkErrorCode,
  type Client,
  type JSONRPCMessage,
} from '@modelcontextprotocol/client';
import type { JsonRpcMessage } from '../transport/frame.js';
import type { Params } from '../core/interceptor.js';
import {
  clientInternals,
  type ClientCodec,
  type ClientInternals,
  type Decoded,
  type ResultSchema,
} from '../transport/sdk-internals.js';

interface FastRequestOptions {
  readonly signal: AbortSignal;
  readonly timeout: number;
}

/** Why a request stopped early, as the SDK reports it: its own error, or a timeout carrying the reason. */
const asSdkError = (reason: unknown): SdkError =>
  reason instanceof SdkError ? reason : new SdkError(SdkErrorCode.RequestTimeout, String(reason));

interface Pending {
  settle(message: JsonRpcMessage): void;
  fail(error: Error): void;
}

export interface FastRequest {
  /** Sends `method` and waits for its result, as `client.request(request, schema, options)` would. */
  readonly request: (
    method: string,
    params: Params,
    schema: ResultSchema,
    options: FastRequestOptions,
  ) => Promise<unknown>;
  /** Offered every frame the upstream sends (after the transport's limits and credential redaction): true when it was ours. */
  readonly intercept: (message: JsonRpcMessage) => boolean;
  /** The connection closed: every request in flight fails as the SDK fails its own. */
  readonly closed: () => void;
}

/** One request on the fast path: what decoding its response and continuing its flow need. */
interface Leg {
  readonly internals: ClientInternals;
  readonly codec: ClientCodec;
  readonly method: string;
  readonly params: Params;
  readonly schema: ResultSchema;
  readonly options: FastRequestOptions;
  readonly flowStartedAt: number;
}

type Outcome = { readonly value: unknown } | { readonly error: Error };

/** input_required (2026-07-28): the SDK's own engine fulfils it and retries through its funnel. */
const continueFlow = (leg: Leg, decoded: Decoded): unknown => {
  const { internals, codec, method, params, schema, options } = leg;
  const flow = {
    codec,
    request: { method, params },
    resultSchema: schema,
    options: { signal: options.signal, timeout: options.timeout, maxTotalTimeout: options.timeout },
    flowStartedAt: leg.flowStartedAt,
    retry: (next: Params | undefined, legOptions: unknown) =>
      internals.requestViaCodec(
        codec,
        next === undefined ? { method } : { method, params: next },
        schema,
        legOptions,
      ),
  };
  return internals.resolveNonComplete(decoded, flow);
};

/**
 * What a response settles its request with, as the SDK would: a protocol error, the era codec's
 * decoding error, the continued flow of an incomplete result, or the result checked by its schema.
 */
const outcomeOf = (leg: Leg, message: JsonRpcMessage): Outcome => {
  if ('error' in message) {
    const error = message['error'] as { code: number; message: string; data?: unknown };
    return { error: ProtocolError.fromError(error.code, error.message, error.data) };
  }
  let decoded: Decoded;
  try {
    decoded = leg.codec.decodeResult(leg.method, message['result']);
  } catch (error) {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }
  if (decoded.kind === 'invalid') return { error: (decoded as { error: Error }).error };
  if (decoded.kind !== 'complete') return { value: continueFlow(leg, decoded) };
  const outcome = leg.schema['~standard'].validate((decoded as { result: unknown }).result);
  if (outcome.issues)
    return {
      error: new SdkError(
        SdkErrorCode.InvalidResult,
        `Invalid result for ${leg.method}: ${outcome.issues.map((i) => i.message).join('; ')}`,
      ),
    };
  return { value: outcome.value };
};

/** Whether a response is a result or a well-formed error (anything else fails its request). */
const isWellFormed = (message: JsonRpcMessage): boolean => {
  if ('result' in message && !('error' in message)) return true;
  const error = message['error'] as { code?: unknown; message?: unknown } | undefined;
  return (
    error !== null &&
    typeof error === 'object' &&
    typeof error.code === 'number' &&
    typeof error.message === 'string'
  );
};

/**
 * Sends one request and settles it by its response, a timeout, an abort (each of the last two
 * cancelling it upstream) or a failure reported through `pending`.
 */
const sendRequest = (
  leg: Leg,
  id: number,
  pending: Map<number, Pending>,
  send: (message: JSONRPCMessage) => Promise<void>,
): Promise<unknown> => {
  const { internals, options } = leg;
  const { signal } = options;
  const outbound = internals.envelope({
    method: leg.method,
    params: leg.params,
    jsonrpc: '2.0',
    id,
  });
  return new Promise<unknown>((resolve, reject) => {
    const done = () => {
      pending.delete(id);
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const cancel = (reason: unknown) => {
      if (!pending.has(id)) return;
      done();
      const notice = internals.envelope({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: id, reason: String(reason) },
      });
      send(notice as JSONRPCMessage).catch(() => undefined);
      reject(asSdkError(reason));
    };
    const onAbort = () => cancel(signal.reason);
    const timer = setTimeout(
      () =>
        cancel(
          new SdkError(SdkErrorCode.RequestTimeout, 'Request timed out', {
            timeout: options.timeout,
          }),
        ),
      options.timeout,
    );
    signal.addEventListener('abort', onAbort, { once: true });
    pending.set(id, {
      fail: (error) => {
        done();
        reject(error);
      },
      settle: (message) => {
        done();
        const outcome = outcomeOf(leg, message);
        if ('error' in outcome) reject(outcome.error);
        else resolve(outcome.value);
      },
    });
    send(outbound as JSONRPCMessage).catch((error: unknown) =>
      pending.get(id)?.fail(error as Error),
    );
  });
};

/**
 * The upstream side's `tools/call` fast path for stdio servers: the request is written to the
 * server's pipe and its response taken off the pipe without the SDK `Client`'s request funnel and
 * message classification (per-message zod type guards, handler maps, timer bookkeeping), which cost
 * more than THE chain. What the SDK decides stays the SDK's: the id comes from its counter, the
 * `_meta` envelope from its era, the raw result is decoded by its era codec and checked by the same
 * result schema, an `input_required` result goes to its multi-round-trip engine, and timeouts,
 * aborts and a closed connection fail the request with the SDK's own error types (so the upstream
 * maps them to the same gateway errors). Requests with a progress handler take the SDK path.
 */
export const createFastRequest = (
  client: Client,
  send: (message: JSONRPCMessage) => Promise<void>,
): FastRequest | undefined => {
  const internals = clientInternals(client);
  if (!internals) return undefined;
  const pending = new Map<number, Pending>();

  const request = (
    method: string,
    params: Params,
    schema: ResultSchema,
    options: FastRequestOptions,
  ): Promise<unknown> => {
    const codec = internals.codec(method);
    if (options.signal.aborted) return Promise.reject(asSdkError(options.signal.reason));
    const id = internals.nextRequestId();
    const leg = { internals, codec, method, params, schema, options, flowStartedAt: Date.now() };
    return sendRequest(leg, id, pending, send);
  };

  const intercept = (message: JsonRpcMessage): boolean => {
    if ('method' in message || !('id' in message)) return false;
    const entry = pending.get(Number(message['id']));
    if (!entry) return false;
    if (isWellFormed(message)) entry.settle(message);
    else
      entry.fail(
        new SdkError(
          SdkErrorCode.InvalidResult,
          'Invalid response: neither a result nor a well-formed error',
        ),
      );
    return true;
  };

  const closed = (): void => {
    const error = new SdkError(SdkErrorCode.ConnectionClosed, 'Connection closed');
    for (const entry of [...pending.values()]) entry.fail(error);
  };

  return { request, intercept, closed };
};
