import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';
import { writePending } from '../audit/group-commit.js';
import type { Outbound } from '../core/outbound.js';
import { AuditError } from '../errors.js';
import { toWireError } from './to-json-rpc-error.js';

/**
 * What becomes of `message` when the audit log's pending lines could not be written (`error`,
 * `AUDIT_APPEND_FAILED`): a response leaves as the error of its request (the call is denied, AUD-2);
 * a request is refused (its send rejects, so it fails at once); a notification is dropped as if lost
 * on the wire (its send resolves: notifications are best effort, and some senders do not wait for them).
 */
export const unlogged = (
  message: JSONRPCMessage,
  error: Error,
): { readonly send: JSONRPCMessage } | 'refuse' | 'drop' => {
  if (!('method' in message)) {
    if (!('id' in message)) return 'drop';
    // Already the audit's refusal, which says whether the call ran: it stands (it records nothing new).
    if (isAuditRefusal(message)) return { send: message };
    return {
      send: {
        jsonrpc: '2.0',
        id: message.id,
        error: toWireError(withheld(error)),
      } as JSONRPCMessage,
    };
  }
  return 'id' in message ? 'refuse' : 'drop';
};

const isAuditRefusal = (message: JSONRPCMessage): boolean => {
  const error = (message as { error?: { data?: { code?: unknown } } }).error;
  return error?.data?.code === 'AUDIT_APPEND_FAILED';
};

/** The error a withheld response carries: what the client may assume about its request (AUD-9). */
const withheld = (error: Error): Error =>
  new AuditError(
    'AUDIT_APPEND_FAILED',
    `${error.message}; this request's outcome could not be logged, so it is withheld (a forwarded request did run on the server)`,
    {
      cause: error,
    },
  );

/**
 * The gateway's one way out (core/outbound.ts): it writes the pending lines of every audit log open
 * in the process (`audit/group-commit.ts`), so no way out needs to know which log recorded what it
 * carries. Made once, by the composition root, and handed to every transport and egress proxy.
 */
export const createOutbound = (): Outbound => ({ commit: writePending });

/** A transport's `send` behind the way out: every pending audit line is written before the message leaves. */
export const sendLogged =
  <O>(outbound: Outbound, send: (message: JSONRPCMessage, options?: O) => Promise<void>) =>
  (message: JSONRPCMessage, options?: O): Promise<void> => {
    const error = outbound.commit();
    if (!error) return send(message, options);
    const outcome = unlogged(message, error);
    return outcome === 'refuse'
      ? Promise.reject(error)
      : outcome === 'drop'
        ? Promise.resolve()
        : send(outcome.send, options);
  };

/** Puts every transport `server` is connected to behind the way out (for transports made by the SDK, like the HTTP front's). */
export const connectLogged = (
  outbound: Outbound,
  server: { connect(transport: Transport): Promise<void> },
): void => {
  const connect = server.connect.bind(server);
  server.connect = (transport) => {
    transport.send = sendLogged(outbound, transport.send.bind(transport));
    return connect(transport);
  };
};
