import { createServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { chmod } from 'node:fs/promises';
import type { EgressConfig } from '../config/schema.js';
import type { Outbound } from '../core/outbound.js';
import { createResolver, type Resolver } from './destination.js';
import { forwardHttp } from './forward.js';
import { createGate, type EgressEvent } from './gate.js';
import { compileEgress } from './match.js';
import { tunnel } from './tunnel.js';

export type { EgressEvent } from './gate.js';

export interface EgressProxyOptions {
  readonly config: EgressConfig;
  /** Unix socket path to listen on (bound into the sandbox). */
  readonly socketPath: string;
  /**
   * Told of every decision before it takes effect: the connection waits for the audit log's append,
   * and a rejection refuses the connection, so nothing leaves unlogged.
   */
  readonly onEvent: (event: EgressEvent) => Promise<void>;
  /** The way out (core/outbound.ts): each decision's entry is written before its connection is made. */
  readonly outbound: Outbound;
  readonly resolver?: Resolver;
}

export interface EgressProxy {
  close(): Promise<void>;
}

/**
 * A per-server HTTP forward proxy (CONNECT for HTTPS, absolute-URI requests for plain HTTP) on a Unix
 * socket. It resolves names itself and connects to the very address it checked, so a DNS answer
 * cannot change between check and use (no rebinding); every decision is reported to `onEvent`.
 * @example const proxy = await startEgressProxy({ config, socketPath, onEvent: console.log });
 */
export const startEgressProxy = async (options: EgressProxyOptions): Promise<EgressProxy> => {
  const gate = createGate({
    egress: compileEgress(options.config),
    resolve: options.resolver ?? createResolver(options.config.resolve),
    onEvent: options.onEvent,
    outbound: options.outbound,
  });
  const server = createServer((req, res) => void forwardHttp(gate, req, res));
  server.on(
    'connect',
    (req: IncomingMessage, client: Socket, head: Buffer) => void tunnel(gate, req, client, head),
  );
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => resolveListen());
  });
  // The sandboxed server may run as another uid; the socket's directory (0700) keeps other host users out.
  await chmod(options.socketPath, 0o666);
  return {
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
};
