import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMcpHandler, Server } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStdioGateway, type Running } from './harness.js';

describe('when an HTTP upstream has its own secret credentials', () => {
  const seen: IncomingHttpHeaders[] = [];
  let close: () => Promise<void>;
  let gw: Running;
  beforeAll(async () => {
    const handler = createMcpHandler(() => {
      const server = new Server({ name: 'web', version: '1.0.0' }, { capabilities: { tools: {} } });
      server.setRequestHandler('tools/list', async () => ({ tools: [{ name: 'whoami', description: 'Echoes the Authorization it got.', inputSchema: { type: 'object' as const } }] }));
      server.setRequestHandler('tools/call', async () => ({ content: [{ type: 'text' as const, text: `I got: ${String(seen.at(-1)?.authorization)}` }] }));
      return server;
    });
    const node = toNodeHandler(handler);
    const http = createServer((req, res) => {
      seen.push(req.headers);
      void node(req as never, res);
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    close = async () => {
      await handler.close();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    };
    gw = await startStdioGateway(
      {
        servers: {
          web: { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`, secretHeaders: { Authorization: { env: 'WEB_UPSTREAM_TOKEN' } }, tools: ['whoami'] },
        },
      },
      { env: { WEB_UPSTREAM_TOKEN: 'Bearer upstream-own-token-5e1d', TOOLGATE_TOKEN: 'agent-token-should-stay' } },
    );
  });
  afterAll(async () => {
    await gw.close();
    await close();
  });

  it('[CRED-3] sends the upstream its own configured secret header, never the agent\'s, and redacts it when echoed', async () => {
    const result = await gw.client.callTool({ name: 'web__whoami', arguments: {} });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((h) => h.authorization === 'Bearer upstream-own-token-5e1d')).toBe(true);
    expect(JSON.stringify(seen)).not.toContain('agent-token');
    // The value is in no log line.
    expect(gw.stderr.join('\n')).not.toContain('upstream-own-token');
    expect(result.content).toEqual([{ type: 'text', text: 'I got: [REDACTED:Authorization]' }]);
  });
});
