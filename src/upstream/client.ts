import { Client, type ResultTypeMap } from '@modelcontextprotocol/client';
import type { ServerConfig } from '../config/schema.js';
import type { Params } from '../core/interceptor.js';
import { VERSION } from '../version.js';
import type { UpstreamHooks } from './hooks.js';

const SERVER_REQUESTS = ['sampling/createMessage', 'elicitation/create', 'roots/list'] as const;

/**
 * The SDK client of one connection to a server, under toolgate's identity. It negotiates the era the
 * config asks for, advertises only what the config lets the server ask of the client (least
 * privilege), and hands server→client requests and notifications to the gateway, which runs them
 * through the chain.
 */
export const createUpstreamClient = (
  id: string,
  config: ServerConfig,
  hooks: Pick<UpstreamHooks, 'serverRequest' | 'notification'>,
): Client => {
  const relayListChanged = (method: string) => ({
    autoRefresh: false,
    debounceMs: 0,
    onChanged: () => void hooks.notification(id, method, {}),
  });
  const client = new Client(
    { name: 'toolgate', version: VERSION },
    {
      capabilities: clientCapabilities(config),
      ...(config.protocol === 'auto' && { versionNegotiation: { mode: 'auto' as const } }),
      ...(config.protocol === '2026-07-28' && {
        versionNegotiation: { mode: { pin: '2026-07-28' } },
      }),
      // list_changed in both eras (2026-07-28 delivers it over subscriptions/listen): the gateway
      // only relays the fact; clients list again through the chain.
      listChanged: {
        tools: relayListChanged('notifications/tools/list_changed'),
        prompts: relayListChanged('notifications/prompts/list_changed'),
        resources: relayListChanged('notifications/resources/list_changed'),
      },
    },
  );
  for (const method of SERVER_REQUESTS) {
    if (!config.allow[methodFlag(method)]) continue;
    client.setRequestHandler(
      method,
      (request, ctx) =>
        // untrusted: the request comes from the server; the gateway runs it through the chain.
        hooks.serverRequest(
          id,
          method,
          (request.params ?? {}) as Params,
          ctx.mcpReq.signal,
        ) as Promise<ResultTypeMap[typeof method]>,
    );
  }
  client.fallbackNotificationHandler = (notification) =>
    hooks.notification(id, notification.method, notification.params ?? {});
  return client;
};

const clientCapabilities = (config: ServerConfig): Record<string, unknown> => {
  // Least privilege: advertise only what the config lets this server ask of the client.
  const caps: Record<string, unknown> = {};
  if (config.allow.sampling) caps['sampling'] = {};
  if (config.allow.elicitation) caps['elicitation'] = { form: {}, url: {} };
  if (config.allow.roots) caps['roots'] = { listChanged: true };
  return caps;
};

const methodFlag = (
  method: (typeof SERVER_REQUESTS)[number],
): 'sampling' | 'elicitation' | 'roots' =>
  method === 'sampling/createMessage'
    ? 'sampling'
    : method === 'elicitation/create'
      ? 'elicitation'
      : 'roots';
