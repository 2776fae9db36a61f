import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, startStdioGateway, type Running } from '../e2e/harness.js';

/**
 * Hostile review #19, item 10: through the plain-HTTP egress proxy a server sent its own Host header
 * to an allowed address, reaching another virtual host served there (one the allowlist never named).
 */

let web: Server;
let port: number;
let gw: Running;
beforeAll(async () => {
  // One address, two virtual hosts: the allowed one and an internal admin site.
  web = createServer((req, res) =>
    res.end(
      req.headers.host?.startsWith('admin.internal')
        ? 'ADMIN SITE'
        : `site for ${String(req.headers.host)}`,
    ),
  );
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  port = (web.address() as AddressInfo).port;
  gw = await startStdioGateway({
    audit: false, // not under test; keeps the replay independent of the audit store
    servers: {
      a: {
        command: process.execPath,
        args: [fixture('attacker')],
        tools: ['vhost'],
        sandbox: { memoryMb: 2048 },
        egress: {
          allow: ['allowed.test'],
          allowPrivate: ['allowed.test'],
          ports: [port],
          resolve: { 'allowed.test': '127.0.0.1' },
        },
        limits: { callTimeoutMs: 30_000 },
      },
    },
  });
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await new Promise((r) => web?.close(r));
});

describe('when a sandboxed server sends its own Host header through the plain-HTTP egress proxy', () => {
  it("[EGR-10] the request carries the checked destination as Host, never the server's", async () => {
    const result = await gw.client.callTool({
      name: 'a__vhost',
      arguments: { url: `http://allowed.test:${port}/`, host: 'admin.internal' },
    });
    const text = (result.content as Array<{ text: string }>)[0]?.text ?? '';
    expect(text).toBe(`200 site for allowed.test:${port}`);
    expect(text).not.toContain('ADMIN');
  }, 60_000);
});
