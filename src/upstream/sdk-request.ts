import type { Client, RequestMethod } from '@modelcontextprotocol/client';
import type { Params, Result } from '../core/interceptor.js';
import { outboundCodecs, type ResultSchema } from '../transport/sdk-internals.js';
import type { FastRequest } from './fast-request.js';

const resultSchemas = new WeakMap<Client, Map<string, ResultSchema | null>>();

/**
 * The result check `client.request(req, options)` builds on every call (SDK 2.4's
 * `codecResultValidator`: the codec of the connection's era validates the result), built once per
 * connection and method. The SDK builds it by validating `undefined` first to learn whether the method
 * has a result in this era, and stringifies the zod error that always gives; here that probe runs
 * once. `null`: no result in this era; `undefined`: the SDK internals it needs are not there. Either
 * way the SDK's own path decides.
 */
const resultSchemaFor = (client: Client, method: string): ResultSchema | null | undefined => {
  let byMethod = resultSchemas.get(client);
  let schema = byMethod?.get(method);
  if (schema !== undefined) return schema;
  const codecOf = outboundCodecs(client);
  if (!codecOf) return undefined;
  if (!byMethod) resultSchemas.set(client, (byMethod = new Map<string, ResultSchema | null>()));
  const codec = codecOf(method);
  const probe = codec.validateResult(method, undefined);
  schema =
    !probe.ok && probe.reason === 'not-in-era'
      ? null
      : {
          '~standard': {
            version: 1,
            vendor: 'mcp-wire-codec',
            validate: (value) => {
              const outcome = codec.validateResult(method, value);
              if (outcome.ok) return { value: outcome.value };
              const message =
                outcome.reason === 'invalid'
                  ? (outcome.message ?? 'invalid')
                  : `not-in-era: ${method}`;
              return { issues: [{ message }] };
            },
          },
        };
  byMethod.set(method, schema);
  return schema;
};

export interface SendOptions {
  readonly signal: AbortSignal;
  /** The call's time limit, in ms (the whole call, progress or not). */
  readonly timeout: number;
  readonly onProgress?: ((progress: Params) => void) | undefined;
}

/**
 * One request on an upstream connection: a `tools/call` without progress takes the connection's
 * fast path when it has one, anything else the SDK `Client`, with the result check built once when
 * the SDK internals for it are there. Not async (no promise of its own on the call's path): the
 * caller awaits it inside its try, which takes a throw here as it takes a rejection.
 */
export const sendRequest = (
  client: Client,
  fast: FastRequest | undefined,
  method: string,
  params: Params,
  options: SendOptions,
): Promise<Result> => {
  const schema = resultSchemaFor(client, method);
  const { signal, timeout, onProgress } = options;
  if (fast && schema && method === 'tools/call' && !onProgress)
    return fast.request(method, params, schema, { signal, timeout }) as Promise<Result>;
  const sdkOptions = {
    signal,
    timeout,
    maxTotalTimeout: timeout,
    ...(onProgress && {
      onprogress: (progress: unknown) => onProgress(progress as Params),
      resetTimeoutOnProgress: true,
    }),
  };
  // Without a schema of ours, the SDK resolves the result check from the method name itself.
  return (
    schema
      ? client.request({ method, params }, schema, sdkOptions)
      : client.request({ method: method as RequestMethod, params }, sdkOptions)
  ) as Promise<Result>;
};
