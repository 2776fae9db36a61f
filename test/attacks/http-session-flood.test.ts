import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  dataCode,
  JSON_HEADERS,
  messagesOf,
  openLegacySession,
  raw,
  recording,
  startServe,
  tempDir,
  type ServeProcess,
} from '../e2e/gateway-process.js';

/** Hostile review #19, item 8: one HTTP caller starving everyone else, and bodies that never finish. */

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'flood', version: '1' },
  },
});
const initialize = (url: string, headers: Record<string, string> = {}) =>
  raw(url, { headers: { ...JSON_HEADERS, ...headers }, body: INITIALIZE });
const config = (http: Record<string, unknown> = {}) => ({
  http,
  servers: { rec: { ...recording(join(tempDir(), 'r')), tools: ['echo'] } },
});

let gateway: ServeProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

describe('when one HTTP caller opens session after session', () => {
  it('[HTTP-6] keeps an anonymous caller to its own cap (default 16): its oldest idle session makes room, others still get theirs', async () => {
    gateway = await startServe(config());
    const url = gateway.url;
    const ids: string[] = [];
    for (let i = 0; i < 17; i++) ids.push(await openLegacySession(url));
    // Today's code let this caller go on to all 1,000 sessions (everyone else got 503); now the 17th closed the first.
    const ping = (id: string) =>
      raw(url, {
        headers: { ...JSON_HEADERS, 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' },
        body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
      });
    const gone = await ping(ids[0] as string);
    expect(gone.status).toBe(404);
    expect(dataCode(messagesOf(gone)[0])).toBe('HTTP_SESSION_UNKNOWN');
    expect((await ping(ids[16] as string)).status).toBe(200);
    await expect(openLegacySession(url, { authorization: 'Bearer someone-else' })).resolves.toMatch(
      /^[a-z0-9-]{1,63}\.[0-9a-f-]{36}$/, // the owning replica, a random UUID (CLU-6)
    );
  });

  it('[HTTP-6] caps one address however many tokens it presents', async () => {
    gateway = await startServe(config({ maxSessionsPerCaller: 2, maxSessionsPerAddress: 3 }));
    for (let i = 0; i < 3; i++)
      await openLegacySession(gateway.url, { authorization: 'Bearer t1' }); // the third replaces the first
    await openLegacySession(gateway.url, { authorization: 'Bearer t2' });
    const refused = await initialize(gateway.url, { authorization: 'Bearer t3' });
    expect(refused.status).toBe(429);
    expect(dataCode(messagesOf(refused)[0])).toBe('HTTP_CALLER_SESSIONS');
    expect(messagesOf(refused)[0]?.['error']).toMatchObject({
      message: expect.stringMatching(/this address already has 3 sessions/),
    });
  });
});

describe('when a caller stalls its request body', () => {
  it('[HTTP-7] answers 408 HTTP_BODY_TIMEOUT and closes the connection once the body timeout (default 10 s) passes', async () => {
    gateway = await startServe(config());
    const { port } = gateway;
    const started = Date.now();
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        // Promises 1000 bytes, sends 20, then nothing: today the gateway held this until Node's 300 s request timeout.
        socket.write(
          `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":"2.0","id"`,
        );
      });
      let text = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(reply).toContain('"code":"HTTP_BODY_TIMEOUT"');
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
  }, 40_000);
});
