import type { Params } from '../core/interceptor.js';
import { RouteError } from '../errors.js';
import type { Namespace } from './namespace.js';

/**
 * Splits a namespaced request about one named item into its server and the server-local params.
 * An unknown prefix or a name of the wrong type is refused (ROUTE_UNKNOWN_SERVER, ROUTE_BAD_NAME),
 * and so is a method the gateway does not route by name.
 * @example
 * routeRequest(ns, 'tools/call', { name: 'files__read' }) // { server: 'files', local: { name: 'read' } }
 */
export const routeRequest = (
  namespace: Namespace,
  method: string,
  params: Params,
): { server: string; local: Params } => {
  switch (method) {
    case 'tools/call':
    case 'prompts/get': {
      const { server, name } = namespace.fromPublic(params['name']);
      return { server, local: { ...params, name } };
    }
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe': {
      const { server, uri } = namespace.fromPublicUri(params['uri']);
      return { server, local: { ...params, uri } };
    }
    case 'completion/complete': {
      const ref = (params['ref'] ?? {}) as Record<string, unknown>;
      if (ref['type'] === 'ref/prompt') {
        const { server, name } = namespace.fromPublic(ref['name']);
        return { server, local: { ...params, ref: { ...ref, name } } };
      }
      const { server, uri } = namespace.fromPublicUri(ref['uri']);
      return { server, local: { ...params, ref: { ...ref, uri } } };
    }
    default:
      throw new RouteError('ROUTE_BAD_NAME', `method ${method} is not routed by the gateway`);
  }
};
