import {
  ProtocolError,
  SdkError,
  SdkErrorCode,
  type Client,
  type JSONRPCMessage,
} from '@modelcontextprotocol/client';
import type { JsonRpcMessage } from '../transport/frame.js';
import type { Params } from '../core/interceptor.js';
import { clientInternals, type Decoded, type ResultSchema } from '../transport/sdk-internals.js';

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
    const { signal } = options;
    if (signal.aborted) return Promise.reject(asSdkError(signal.reason));
    const id = internals.nextRequestId();
    const flowStartedAt = Date.now();
    const outbound = internals.envelope({
      method,
      params,
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
          if ('error' in message) {
            const error = message['error'] as { code: number; message: string; data?: unknown };
            return reject(ProtocolError.fromError(error.code, error.message, error.data));
          }
          let decoded: Decoded;
          try {
            decoded = codec.decodeResult(method, message['result']);
          } catch (error) {
            return reject(error instanceof Error ? error : new Error(String(error)));
          }
          if (decoded.kind === 'invalid') return reject((decoded as { error: Error }).error);
          if (decoded.kind !== 'complete') {
            // input_required (2026-07-28): the SDK's own engine fulfils it and retries through its funnel.
            const sdkOptions = {
              signal,
              timeout: options.timeout,
              maxTotalTimeout: options.timeout,
            };
            const flow = {
              codec,
              request: { method, params },
              resultSchema: schema,
              options: sdkOptions,
              flowStartedAt,
              retry: (next: Params | undefined, legOptions: unknown) =>
                internals.requestViaCodec(
                  codec,
                  next === undefined ? { method } : { method, params: next },
                  schema,
                  legOptions,
                ),
            };
            return resolve(internals.resolveNonComplete(decoded, flow));
          }
          const outcome = schema['~standard'].validate((decoded as { result: unknown }).result);
          if (outcome.issues)
            return reject(
              new SdkError(
                SdkErrorCode.InvalidResult,
                `Invalid result for ${method}: ${outcome.issues.map((i) => i.message).join('; ')}`,
              ),
            );
          resolve(outcome.value);
        },
      });
      send(outbound as JSONRPCMessage).catch((error: unknown) =>
        pending.get(id)?.fail(error as Error),
      );
    });
  };

  const intercept = (message: JsonRpcMessage): boolean => {
    if ('method' in message || !('id' in message)) return false;
    const id = Number(message['id']);
    const entry = pending.get(id);
    if (!entry) return false;
    const isResult = 'result' in message && !('error' in message);
    const error = message['error'] as { code?: unknown; message?: unknown } | undefined;
    if (
      isResult ||
      (error !== null &&
        typeof error === 'object' &&
        typeof error.code === 'number' &&
        typeof error.message === 'string')
    )
      entry.settle(message);
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
