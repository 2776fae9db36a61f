// What the HTTP front tests share: the limits they configure, the session id shape, a real MCP
// server on loopback, one that records the headers it is sent.
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
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
  return { ...(await serveOnLoopback(handler, (req) => seen.push(req.headers))), seen };
};

/**
 * Serves an SDK MCP handler over Streamable HTTP on a free loopback port (`onRequest` sees each
 * request first); `close` ends the handler's sessions and every connection.
 */
export const serveOnLoopback = async (
  handler: ReturnType<typeof createMcpHandler>,
  onRequest?: (req: IncomingMessage) => void,
) => {
  const node = toNodeHandler(handler);
  const http = createServer((req, res) => {
    onRequest?.(req);
    void node(req as NodeIncomingMessageLike, res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    close: async () => {
      await handler.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
};
