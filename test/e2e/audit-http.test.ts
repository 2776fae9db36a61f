import { execFileSync } from 'node:child_process';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import {
  Client,
  StreamableHTTPClientTransport,
  type VersionNegotiationMode,
} from '@modelcontextprotocol/client';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, Server } from '@modelcontextprotocol/server';
import { afterAll, describe, expect, it } from 'vitest';
import { errorOf } from './harness.js';
import { startServe, type ServeProcess } from './gateway-process.js';

/**
 * The audit's group commit on the HTTP ways out: `toolgate serve` (its HTTP front: 2025-era sessions, and the
 * stateless 2026-07-28 exchange) in front of a Streamable HTTP upstream that counts the calls it receives. The
 * JSONL log stops taking writes mid-run.
 */
describe.each([
  { era: '2025-era', mode: undefined },
  { era: '2026-07-28', mode: { pin: '2026-07-28' } as VersionNegotiationMode },
])(
  'when the audit log stops taking writes behind the HTTP front ($era client) and an HTTP upstream',
  ({ mode }) => {
    let upstream: HttpServer | undefined;
    let gateway: ServeProcess | undefined;
    afterAll(async () => {
      await gateway?.stop();
      upstream?.close();
    });

    it('[AUD-2] the request is not sent upstream, the client gets AUDIT_APPEND_FAILED, and both resume once the disk takes the lines (needs root: chattr +i)', async () => {
      let received = 0;
      const handler = toNodeHandler(
        createMcpHandler(() => {
          const server = new Server(
            { name: 'counting-echo', version: '1.0.0' },
            { capabilities: { tools: {} } },
          );
          server.setRequestHandler('tools/list', async () => ({
            tools: [
              {
                name: 'echo',
                inputSchema: { type: 'object' as const, properties: { text: { type: 'string' } } },
              },
            ],
          }));
          server.setRequestHandler('tools/call', async (request) => {
            received++;
            const text = request.params.arguments?.['text'];
            return {
              content: [{ type: 'text' as const, text: typeof text === 'string' ? text : '' }],
            };
          });
          return server;
        }),
      );
      upstream = createServer(
        (req, res) => void handler(req as typeof req & { method: string; url: string }, res),
      );
      await new Promise<void>((resolve) => upstream?.listen(0, '127.0.0.1', resolve));
      const port = (upstream.address() as AddressInfo).port;

      gateway = await startServe({
        servers: { up: { url: `http://127.0.0.1:${port}/mcp`, tools: ['echo'] } },
      });
      const logFile = join(dirname(gateway.configFile), 'toolgate-audit.jsonl');
      const client = new Client(
        { name: 'audit-http-test', version: '1.0.0' },
        mode === undefined ? {} : { versionNegotiation: { mode } },
      );
      await client.connect(new StreamableHTTPClientTransport(new URL(gateway.url)));

      expect(
        await client.callTool({ name: 'up__echo', arguments: { text: 'logged' } }),
      ).toMatchObject({ content: [{ text: 'logged' }] });
      expect(received).toBe(1);
      execFileSync('chattr', ['+i', logFile]); // every write to the log fails from here (EPERM)
      try {
        const error = await errorOf(
          client.callTool({ name: 'up__echo', arguments: { text: 'unlogged?' } }),
        );
        expect(error).toMatchObject({ code: -32006, data: { code: 'AUDIT_APPEND_FAILED' } });
        expect(received).toBe(1);
      } finally {
        execFileSync('chattr', ['-i', logFile]);
      }
      expect(
        await client.callTool({ name: 'up__echo', arguments: { text: 'logged again' } }),
      ).toMatchObject({ content: [{ text: 'logged again' }] });
      expect(received).toBe(2);
      await client.close();
    });
  },
);
