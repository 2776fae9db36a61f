import type { JSONRPCMessage } from '@modelcontextprotocol/client';

/**
 * The SDK runs a notification's handler one microtask after it receives it, but settles a response
 * at once, dropping the request's progress handler. A progress notification read in the same chunk
 * as its response would then find no handler and be lost. Handing responses on one microtask later
 * keeps what the server sent in its order: every notification before it is handled first.
 */
export const afterNotifications =
  <M = JSONRPCMessage, X extends unknown[] = []>(deliver: (message: M, ...extra: X) => void) =>
  (message: M, ...extra: X): void => {
    if (
      typeof message === 'object' &&
      message !== null &&
      'id' in message &&
      !('method' in message)
    )
      queueMicrotask(() => deliver(message, ...extra));
    else deliver(message, ...extra);
  };
