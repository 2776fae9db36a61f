import type { Message, Next, Result } from '../core/interceptor.js';
import { ClientError, RouteError, UpstreamError } from '../errors.js';
import type { GatewayState } from './state.js';
import type { ServerMessages } from './to-client.js';

/** The method under which an upstream's error text passes the chain (never sent anywhere itself). */
const UPSTREAM_ERROR_METHOD = 'toolgate/upstream-error';

/**
 * The terminal of the chain: upstreams for `to-server`, the client channel for `to-client`. What it
 * is handed has passed every defense; it only delivers.
 */
export const createTerminal = (state: GatewayState, toClient: ServerMessages): Next => {
  const terminal = async (message: Message): Promise<Result> => {
    if (message.direction === 'to-server') {
      const upstream = state.upstream(message.server);
      if (!upstream) throw new RouteError('ROUTE_UNKNOWN_SERVER', `no server "${message.server}"`);
      if (message.kind === 'notification') {
        await upstream.notify(message.method, message.params);
        return {};
      }
      return upstream
        .request(message.method, message.params, {
          signal: message.signal,
          onProgress: message.onProgress,
        })
        .catch((error: unknown) => screenUpstreamError(message, error));
    }
    if (message.kind === 'notification') {
      await toClient.deliver(message);
      return message.params; // what the defenses let through, for a caller that delivers it itself (progress, error text)
    }
    if (!message.client)
      throw new RouteError('ROUTE_UNROUTABLE', `no client to send ${message.method} to`);
    if (message.client.era === 'modern')
      throw new ClientError(
        'CLIENT_CAPABILITY_MISSING',
        `${message.method} cannot reach a 2026-07-28 client: that revision has no server-to-client requests`,
      );
    return message.client.request(message.method, message.params, message.signal);
  };

  /**
   * An upstream's own error is a message from the server like any other: its code and text go through
   * the chain towards the client (audited; secrets redacted, hidden characters stripped, an injection
   * refused with the defense's code), and it leaves as toolgate's UPSTREAM_ERROR with the server's code
   * in `data` only, so a server cannot answer with the code of a gateway decision.
   */
  const screenUpstreamError = async (message: Message, error: unknown): Promise<never> => {
    if (!(error instanceof UpstreamError) || !error.upstream) throw error;
    const { code } = error.upstream;
    // untrusted: the server's error text.
    const screened = await state.send({
      kind: 'notification',
      direction: 'to-client',
      method: UPSTREAM_ERROR_METHOD,
      params: { code, message: error.upstream.message },
      server: message.server,
      principal: message.principal,
      ...(message.client && { client: message.client }),
      signal: message.signal,
    });
    const text = typeof screened['message'] === 'string' ? screened['message'] : '';
    throw new UpstreamError('UPSTREAM_ERROR', text, {
      cause: error,
      upstream: { code, message: text },
    });
  };
  return terminal;
};
