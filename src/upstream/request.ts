import {
  ProtocolError,
  SdkError,
  SdkErrorCode,
  SERVER_INFO_META_KEY,
  type Client,
} from '@modelcontextprotocol/client';
import type { Params, Result } from '../core/interceptor.js';
import { GatewayError, LimitError, UpstreamError } from '../errors.js';
import type { FastRequest } from './fast-request.js';
import { sendRequest as sendSdkRequest } from './sdk-request.js';
import { OWN_REFUSAL_MARK } from './own-refusal.js';

/** The request path of one upstream connection: SDK or fast path, and what its errors become. */

export interface RequestOptions {
  readonly signal: AbortSignal;
  readonly onProgress?: ((progress: Params) => void) | undefined;
}

/**
 * One request on the connection (sdk-request.ts): a stdio `tools/call` without progress takes the
 * fast path, anything else the SDK `Client`. Not async (no promise of its own on the call's path):
 * `Upstream.request` awaits it inside its try, which takes a throw here as it takes a rejection.
 */
export const sendRequest = (
  client: Client,
  method: string,
  params: Params,
  options: RequestOptions,
  callTimeoutMs: number,
): Promise<Result> =>
  sendSdkRequest(client, fastRequests.get(client), method, params, {
    signal: options.signal,
    timeout: callTimeoutMs,
    onProgress: options.onProgress,
  });

/** What an SDK or transport failure of `method` becomes: a typed error with a stable code. */
export const toUpstreamError = (
  id: string,
  error: unknown,
  method: string,
  callTimeoutMs: number,
  onTimeout: () => void,
): Error => {
  if (error instanceof GatewayError) return error; // ours, e.g. AUDIT_APPEND_FAILED when the request could not leave logged
  if (error instanceof ProtocolError) {
    const data = error.data as { code?: unknown; mark?: unknown } | undefined;
    if (
      typeof data?.code === 'string' &&
      data.code.startsWith('LIMIT_') &&
      data.mark === OWN_REFUSAL_MARK
    )
      return new LimitError(
        data.code as 'LIMIT_MESSAGE_TOO_LARGE',
        `response from "${id}" refused: ${error.message}`,
      );
    // The line transport's verdict on a frame it could not read (cut off, not JSON, not UTF-8).
    if (typeof data?.code === 'string' && data.code.startsWith('FRAME_'))
      return new UpstreamError(
        'UPSTREAM_INVALID_RESPONSE',
        `server "${id}" sent an unreadable ${method} response (${data.code}): ${error.message}`,
        { cause: error },
      );
    // untrusted: the server's own error text, passed on as the server's words.
    return new UpstreamError('UPSTREAM_ERROR', error.message, {
      cause: error,
      upstream: { code: error.code, message: error.message },
    });
  }
  if (error instanceof SdkError) {
    switch (error.code) {
      case SdkErrorCode.RequestTimeout:
        onTimeout();
        return new LimitError(
          'LIMIT_TIMEOUT',
          `server "${id}" did not answer ${method} within ${callTimeoutMs} ms`,
        );
      case SdkErrorCode.ConnectionClosed:
      case SdkErrorCode.NotConnected:
      case SdkErrorCode.SendFailed:
        return new UpstreamError('UPSTREAM_CRASHED', `server "${id}" went away during ${method}`, {
          cause: error,
        });
      case SdkErrorCode.InvalidResult:
        return new UpstreamError(
          'UPSTREAM_INVALID_RESPONSE',
          `server "${id}" sent an invalid ${method} result`,
          { cause: error },
        );
      default:
        return new UpstreamError(
          'UPSTREAM_ERROR',
          `request to server "${id}" failed (${error.code})`,
          { cause: error },
        );
    }
  }
  if ((error as Error | undefined)?.name === 'AbortError') return error as Error;
  return new UpstreamError('UPSTREAM_ERROR', `request to server "${id}" failed`, {
    cause: error,
  });
};

/**
 * A result without its server's own identity. A 2026-07-28 server stamps its `serverInfo` into the
 * `_meta` of every result (`io.modelcontextprotocol/serverInfo`); that describes the upstream's hop,
 * not the gateway. Passed on, a 2025 client would receive a key of the other era naming a server it
 * never connected to, and a 2026-07-28 client would take it for the gateway's own identity (the
 * SDK's front keeps a `serverInfo` already present instead of stamping toolgate's), so any upstream
 * could name itself as the server the agent talks to. The key is dropped; every other `_meta` entry
 * (related task, progress, vendor keys) passes.
 */
export const withoutUpstreamIdentity = (result: Result): Result => {
  const meta = result['_meta'];
  if (
    meta === null ||
    typeof meta !== 'object' ||
    Array.isArray(meta) ||
    !(SERVER_INFO_META_KEY in meta)
  )
    return result;
  const kept: Record<string, unknown> = { ...meta };
  delete kept[SERVER_INFO_META_KEY];
  const rest: Result = { ...result };
  delete rest['_meta'];
  return Object.keys(kept).length > 0 ? { ...rest, _meta: kept } : rest;
};

/** Each stdio connection's `tools/call` fast path (see fast-request.ts), while it lasts. */
export const fastRequests = new WeakMap<Client, FastRequest>();
