import type { Client } from '@modelcontextprotocol/client';
import { outboundCodecs, type ResultSchema } from '../transport/sdk-internals.js';

const resultSchemas = new WeakMap<Client, Map<string, ResultSchema | null>>();

/**
 * The result check `client.request(req, options)` builds on every call (SDK 2.4's
 * `codecResultValidator`: the codec of the connection's era validates the result), built once per
 * connection and method. The SDK builds it by validating `undefined` first to learn whether the method
 * has a result in this era, and stringifies the zod error that always gives; here that probe runs
 * once. `null`: no result in this era; `undefined`: the SDK internals it needs are not there. Either
 * way the SDK's own path decides.
 */
export const resultSchemaFor = (
  client: Client,
  method: string,
): ResultSchema | null | undefined => {
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
