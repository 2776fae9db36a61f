import {
  createServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeError } from './http-gates.js';

export interface Listening {
  /** The URL clients connect to, with the port actually bound. */
  readonly url: string;
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/**
 * Listens on `listen` with `onRequest` (an unexpected failure becomes a 500, or a reset once the
 * answer has begun). `close` stops accepting, runs `closeApp`, then cuts what is still open (SSE
 * streams would keep `server.close()` waiting forever). Keep-alive connections stay open between
 * requests, Node's default.
 */
export const listenOn = async (
  listen: { host: string; port: number },
  onRequest: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  onError: (error: Error) => void,
  path: string,
  closeApp: () => Promise<void> = () => Promise.resolve(),
): Promise<Listening> => {
  const server = createServer((req, res) => {
    onRequest(req, res).catch((error: unknown) => {
      onError(error as Error);
      if (!res.headersSent) writeError(res, new Error('unexpected'));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostPart}:${address.port}${path}`,
    address,
    close: () => closeAll(server, closeApp),
  };
};

const closeAll = async (server: HttpServer, closeApp: () => Promise<void>): Promise<void> => {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await closeApp();
  server.closeAllConnections();
  await closed;
};
