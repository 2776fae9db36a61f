import { serveStdio, type StdioServerHandle } from '@modelcontextprotocol/server/stdio';
import type { Readable, Writable } from 'node:stream';
import type { Gateway } from '../gateway/gateway.js';
import { limitsOf } from '../config/schema.js';
import { stdioPrincipal } from '../authz/principal.js';
import { toWireError } from '../transport/to-json-rpc-error.js';
import { LimitError, FrameError } from '../errors.js';
import { createFastCall } from './fast-call.js';
import { createFrontServer, type FrontServer } from './front-server.js';
import { LineTransport } from '../transport/line-transport.js';

/** The gateway-wide frame limits of the client side: the largest any server allows. */
export const frontLimits = (gateway: Gateway) => {
  const all = Object.values(gateway.config.servers).map((s) => limitsOf(gateway.config, s));
  return {
    maxMessageBytes: Math.max(...all.map((l) => l.maxMessageBytes)),
    maxDepth: Math.max(...all.map((l) => l.maxDepth)),
  };
};

/**
 * Serves MCP over stdio to one local client. Frames are checked by the gateway's own line
 * transport before the SDK sees them; a refused frame is answered with a JSON-RPC error (when its id
 * can be found) and never forwarded. The SDK's `serveStdio` picks the era from the opening message.
 */
export const serveStdioFront = (
  gateway: Gateway,
  streams: { input: Readable; output: Writable } = { input: process.stdin, output: process.stdout },
): StdioServerHandle => {
  const transport: LineTransport = new LineTransport(
    streams.input,
    streams.output,
    frontLimits(gateway),
    gateway.outbound,
    (rejected) => {
      const error = rejected.code.startsWith('LIMIT_')
        ? new LimitError(rejected.code as 'LIMIT_TOO_DEEP', rejected.message)
        : new FrameError(rejected.code as 'FRAME_PARSE_ERROR', rejected.message);
      void transport
        .send({ jsonrpc: '2.0', id: rejected.id ?? null, error: toWireError(error) })
        .catch(() => undefined);
    },
  );
  const detachers: Array<() => void> = [];
  let latest: FrontServer | undefined;
  const fast = createFastCall(
    () => latest,
    (message) => void transport.send(message).catch(() => undefined),
  );
  transport.intercept = fast.intercept;
  const handle = serveStdio(
    ({ era }) => {
      const front = createFrontServer(gateway, stdioPrincipal(gateway.config.agents), era);
      detachers.push(front.detach);
      latest = front;
      return front.server;
    },
    { transport },
  );
  const sdkOnClose = transport.onclose;
  transport.onclose = () => {
    fast.closed();
    sdkOnClose?.();
  };
  return {
    close: async () => {
      latest = undefined;
      fast.closed();
      for (const detach of detachers) detach();
      await handle.close();
    },
  };
};
