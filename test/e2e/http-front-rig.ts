// What the HTTP front tests share: the limits they configure, the session id shape, an upstream that
// records the headers it is sent.
import { createServer, type IncomingHttpHeaders, type Server as NodeHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMcpHandler, Server } from '@modelcontextprotocol/server';
import { toNodeHandler, type NodeIncomingMessageLike } from '@modelcontextprotocol/node';

/** A 2025-era session id: the owning replica's name, a dot, a random UUID (CLU-5). */
export const SESSION_ID = /^[a-z0-9-]{1,63}\.[0-9a-f-]{36}$/;
export const MAX_BYTES = 64 * 1024;
export const MAX_DEPTH = 32;

export const ping = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });

/** A real MCP server over Streamable HTTP on loopback that records the headers of every request. */
export const startHeaderRecorder = async () => {
  const seen: IncomingHttpHeaders[] = [];
  const handler = createMcpHandler(() => {
    const server = new Server({ name: 'web', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler('tools/list', async () => ({
      tools: [
        { name: 'whoami', description: 'Says hello.', inputSchema: { type: 'object' as const } },
      ],
    }));
    server.setRequestHandler('tools/call', async () => ({
      content: [{ type: 'text' as const, text: 'web says hi' }],
    }));
    return server;
  });
  const node = toNodeHandler(handler);
  const http: NodeHttpServer = createServer((req, res) => {
    seen.push(req.headers);
    void node(req as NodeIncomingMessageLike, res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    seen,
    close: async () => {
      await handler.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
};
