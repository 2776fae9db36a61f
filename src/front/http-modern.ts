import { createMcpHandler } from '@modelcontextprotocol/server';
import type { Principal } from '../core/principal.js';
import type { Gateway } from '../gateway/gateway.js';
import { connectLogged } from '../transport/outbound.js';
import { createFrontServer } from './front-server.js';
import { callerPrincipal } from './http-gates.js';
import type { CallObserver } from './metrics.js';

/**
 * The 2026-07-28 (stateless) side of the HTTP front: one front session per request, run as the agent
 * `authenticated` names for that request (a stateless request has no session to carry it), else as a
 * caller derived from its Authorization header. List changes reach such clients on their
 * `subscriptions/listen` streams. `close()` ends both the handler and the list-change wiring.
 */
export const createModernFront = (
  gateway: Gateway,
  authenticated: WeakMap<Request, Principal>,
  options: { maxRequestBodySize: number; onError: (error: Error) => void; observe?: CallObserver },
) => {
  const modern = createMcpHandler(
    (ctx) => {
      const request = ctx.requestInfo;
      const principal = (request && authenticated.get(request)) ?? {
        id: callerPrincipal(request?.headers.get('authorization')),
        transport: 'http' as const,
      };
      const front = createFrontServer(gateway, principal, 'modern', options.observe);
      // The per-request transport closes when its exchange ends: the front session ends with it.
      front.server.onclose = front.detach;
      connectLogged(gateway.outbound, front.server);
      return front.server;
    },
    {
      legacy: 'reject',
      maxRequestBodySize: options.maxRequestBodySize,
      onerror: options.onError,
    },
  );
  const unlisten = gateway.onListChanged((method) => {
    switch (method) {
      case 'notifications/tools/list_changed':
        return modern.notify.toolsChanged();
      case 'notifications/prompts/list_changed':
        return modern.notify.promptsChanged();
      case 'notifications/resources/list_changed':
        return modern.notify.resourcesChanged();
      default:
        return method satisfies never;
    }
  });
  return {
    fetch: modern.fetch,
    close: async () => {
      unlisten();
      await modern.close();
    },
  };
};
