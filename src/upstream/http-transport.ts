import {
  StreamableHTTPClientTransport,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type Transport,
} from '@modelcontextprotocol/client';
import type { HttpServerConfig } from '../config/schema.js';
import type { Outbound } from '../core/outbound.js';
import { createRedactor, type Redactor } from '../credentials/redact.js';
import { resolveSecrets } from '../credentials/resolve.js';
import { checkValue } from '../transport/frame.js';
import { sendLogged } from '../transport/outbound.js';
import { afterNotifications } from './after-notifications.js';
import { OWN_REFUSAL_MARK } from './own-refusal.js';

interface HttpTransportHooks {
  readonly outbound: Outbound;
  /** A response refused by the limits (it becomes an error for its request). */
  readonly onRefused: (reason: string) => void;
  /** The server's own credential values, resolved at this start. */
  readonly secretsResolved: (values: readonly string[]) => void;
}

/**
 * The SDK's Streamable HTTP client transport for one upstream, with its own credentials resolved at
 * each start (the agent's token is never among them), the gateway's limits on what it receives, and
 * every message it sends leaving through the way out (core/outbound.ts).
 */
export const createHttpTransport = async (
  server: HttpServerConfig,
  limits: { maxMessageBytes: number; maxDepth: number },
  hooks: HttpTransportHooks,
): Promise<Transport> => {
  const secretHeaders = await resolveSecrets(server.secretHeaders);
  hooks.secretsResolved(Object.values(secretHeaders));
  const transport = new StreamableHTTPClientTransport(new URL(server.url), {
    requestInit: { headers: { ...server.headers, ...secretHeaders } },
  });
  guardIncoming(transport, limits, hooks.onRefused, createRedactor(secretHeaders));
  transport.send = sendLogged(hooks.outbound, transport.send.bind(transport));
  return transport;
};

/**
 * Applies size and depth limits to messages the SDK's HTTP client transport has already parsed,
 * by wrapping whatever `onmessage` the client installs. A refused response becomes an error for its id.
 */
const guardIncoming = (
  transport: Transport,
  limits: { maxMessageBytes: number; maxDepth: number },
  onRefused: (reason: string) => void,
  redact: Redactor,
): void => {
  let inner: Transport['onmessage'];
  const guarded: Transport['onmessage'] = afterNotifications(
    (message: JSONRPCMessage, extra?: MessageExtraInfo) => {
      const verdict = checkValue(message, limits);
      // A server that echoes its own credential gets it redacted before anything else sees it.
      if (verdict.ok) return inner?.(redact(message), extra);
      onRefused(verdict.message);
      const id = (message as { id?: unknown }).id;
      if (typeof id !== 'string' && typeof id !== 'number') return;
      const refusal: JSONRPCMessage = {
        jsonrpc: '2.0',
        id,
        error: {
          code: -32600,
          message: verdict.message,
          data: { code: verdict.code, mark: OWN_REFUSAL_MARK },
        },
      };
      inner?.(refusal, extra);
    },
  );
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    get: () => (inner ? guarded : undefined),
    set: (fn: Transport['onmessage']) => {
      inner = fn;
    },
  });
};
