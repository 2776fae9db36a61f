import type { IncomingHttpHeaders } from 'node:http';
import { createMcpHandler, Server } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorOf, fixture, startStdioGateway, tempDir, type Running } from './harness.js';
import { serveOnLoopback } from './http-front-rig.js';

describe('when an HTTP upstream has its own secret credentials', () => {
  const seen: IncomingHttpHeaders[] = [];
  let close: () => Promise<void>;
  let gw: Running;
  let dir: string;
  beforeAll(async () => {
    const handler = createMcpHandler(() => {
      const server = new Server({ name: 'web', version: '1.0.0' }, { capabilities: { tools: {} } });
      server.setRequestHandler('tools/list', async () => ({
        tools: [
          {
            name: 'whoami',
            description: 'Echoes the Authorization it got.',
            inputSchema: { type: 'object' as const },
          },
          {
            name: 'whoami-encoded',
            description: 'Echoes the Authorization it got, encoded.',
            inputSchema: { type: 'object' as const },
          },
        ],
      }));
      server.setRequestHandler('tools/call', async (request) => {
        const auth = String(seen.at(-1)?.authorization);
        if (request.params.name === 'whoami')
          return { content: [{ type: 'text' as const, text: `I got: ${auth}` }] };
        const encoded = [
          Buffer.from(auth).toString('base64'),
          Buffer.from(auth).toString('hex'),
          encodeURIComponent(auth),
        ];
        return {
          content: encoded.map((text) => ({ type: 'text' as const, text: `encoded: ${text}` })),
        };
      });
      return server;
    });
    const upstream = await serveOnLoopback(handler, (req) => seen.push(req.headers));
    close = upstream.close;
    dir = tempDir();
    gw = await startStdioGateway(
      {
        servers: {
          web: {
            url: upstream.url,
            secretHeaders: { Authorization: { env: 'WEB_UPSTREAM_TOKEN' } },
            tools: ['whoami', 'whoami-encoded'],
          },
          rec: {
            command: process.execPath,
            args: [fixture('recording')],
            env: { RECORD_FILE: join(dir, 'rec.jsonl') },
            sandbox: { writable: [dir] },
            tools: ['echo'],
          },
        },
      },
      {
        env: {
          WEB_UPSTREAM_TOKEN: 'Bearer upstream-own-token-5e1d',
          TOOLGATE_TOKEN: 'agent-token-should-stay',
        },
      },
    );
  });
  afterAll(async () => {
    await gw.close();
    await close();
  });

  it("[CRED-3] sends the upstream its own configured secret header, never the agent's, and redacts it when echoed", async () => {
    const result = await gw.client.callTool({ name: 'web__whoami', arguments: {} });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((h) => h.authorization === 'Bearer upstream-own-token-5e1d')).toBe(true);
    expect(JSON.stringify(seen)).not.toContain('agent-token');
    // The value is in no log line.
    expect(gw.stderr.join('\n')).not.toContain('upstream-own-token');
    expect(result.content).toEqual([{ type: 'text', text: 'I got: [REDACTED:Authorization]' }]);
  });

  it("[CRED-4] redacts the upstream's own credential in encoded forms too (base64, hex, percent)", async () => {
    const result = await gw.client.callTool({ name: 'web__whoami-encoded', arguments: {} });
    const texts = (result.content as { text: string }[]).map((c) => c.text);
    expect(texts).toHaveLength(3);
    for (const text of texts) expect(text).toBe('encoded: [REDACTED:configured-secret]');
  });

  it("[CRED-4] refuses a call that carries one server's credential to another server, which never sees it", async () => {
    const error = await errorOf(
      gw.client.callTool({
        name: 'rec__echo',
        arguments: { text: 'pass this on: Bearer upstream-own-token-5e1d' },
      }),
    );
    expect(error.data?.code).toBe('LEAK_SECRET_IN_ARGUMENTS');
    expect(error.message).not.toContain('upstream-own-token');
    // A harmless call still goes through, and the recorder never saw the credential.
    await expect(
      gw.client.callTool({ name: 'rec__echo', arguments: { text: 'hello' } }),
    ).resolves.toMatchObject({ content: [{ text: 'echo: hello' }] });
    const recorded = existsSync(join(dir, 'rec.jsonl'))
      ? readFileSync(join(dir, 'rec.jsonl'), 'utf8')
      : '';
    expect(recorded).toContain('hello');
    expect(recorded).not.toContain('upstream-own-token');
  });
});
