import { randomUUID } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server as NodeHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import {
  Client,
  ProtocolError,
  StreamableHTTPClientTransport,
  type VersionNegotiationMode,
} from '@modelcontextprotocol/client';
import { createMcpHandler, Server } from '@modelcontextprotocol/server';
import { toNodeHandler, type NodeIncomingMessageLike } from '@modelcontextprotocol/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JSON_HEADERS,
  dataCode,
  everything,
  memory,
  messagesOf,
  openLegacySession,
  raw,
  recording,
  startServe,
  tempDir,
  type ServeProcess,
} from './gateway-process.js';
import { eventually } from './harness.js';

/** A 2025-era session id: the owning replica's name, a dot, a random UUID (CLU-5). */
const SESSION_ID = /^[a-z0-9-]{1,63}\.[0-9a-f-]{36}$/;
const MAX_BYTES = 64 * 1024;
const MAX_DEPTH = 32;

/** A real MCP server over Streamable HTTP on loopback that records the headers of every request. */
const startHeaderRecorder = async () => {
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

let gateway: ServeProcess;
let web: Awaited<ReturnType<typeof startHeaderRecorder>>;
let recordFile: string;

beforeAll(async () => {
  recordFile = join(tempDir(), 'record.jsonl');
  writeFileSync(recordFile, '');
  chmodSync(recordFile, 0o666); // the sandboxed recorder runs as nobody when the tests run as root
  web = await startHeaderRecorder();
  gateway = await startServe({
    limits: { maxMessageBytes: MAX_BYTES, maxDepth: MAX_DEPTH },
    http: { allowedHosts: ['gateway.test'], allowedOrigins: ['https://app.example.com'] },
    servers: {
      everything: { ...everything, tools: ['echo', 'get-sum'] },
      memory: { ...memory, tools: ['read_graph'] },
      rec: { ...recording(recordFile), tools: ['echo'] },
      web: { url: web.url, headers: { 'X-Upstream-Key': 'upstream-own-key' }, tools: ['whoami'] },
    },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await web?.close();
});

const connect = async (
  mode: VersionNegotiationMode | undefined,
  headers: Record<string, string> = {},
) => {
  const client = new Client(
    { name: 'e2e', version: '1.0.0' },
    mode === undefined ? {} : { versionNegotiation: { mode } },
  );
  const transport = new StreamableHTTPClientTransport(new URL(gateway.url), {
    requestInit: { headers },
  });
  await client.connect(transport);
  return { client, transport };
};

const recorded = (): string => readFileSync(recordFile, 'utf8');

describe.each([
  { era: '2025-era', mode: undefined, expected: '2025-11-25' },
  { era: '2026-era (auto)', mode: 'auto' as const, expected: '2026-07-28' },
  { era: '2026-era (pinned)', mode: { pin: '2026-07-28' }, expected: '2026-07-28' },
])('when a $era SDK client connects through toolgate serve', ({ mode, expected }) => {
  let client: Client;
  let transport: StreamableHTTPClientTransport;
  beforeAll(async () => ({ client, transport } = await connect(mode)));
  afterAll(async () => client?.close());

  it(`negotiates ${expected}`, () => {
    expect(client.getNegotiatedProtocolVersion()).toBe(expected);
    // Only the 2025 era is sessionful; the session id is the replica name and a random UUID (HTTP-4, CLU-6).
    if (expected === '2025-11-25')
      expect(transport.sessionId).toMatch(
        /^[a-z0-9-]{1,63}\.[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    else expect(transport.sessionId).toBeUndefined();
  });

  it('[ALLOW-1] lists only the allowlisted tools, namespaced', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'everything__echo',
      'everything__get-sum',
      'memory__read_graph',
      'rec__echo',
      'web__whoami',
    ]);
  });

  it('calls allowed tools on real npm servers', async () => {
    const echo = await client.callTool({
      name: 'everything__echo',
      arguments: { message: 'hello' },
    });
    expect(echo.content).toEqual([{ type: 'text', text: 'Echo: hello' }]);
    const graph = await client.callTool({ name: 'memory__read_graph', arguments: {} });
    expect(graph.isError).not.toBe(true);
    expect(JSON.stringify(graph.content)).toContain('entities');
  });

  it('[ALLOW-2] refuses a denied tool with POLICY_TOOL_DENIED and forwards nothing', async () => {
    const marker = `denied-${randomUUID()}`;
    const call = client.callTool({ name: 'rec__secret', arguments: { text: marker } });
    await expect(call).rejects.toBeInstanceOf(ProtocolError);
    await expect(call).rejects.toMatchObject({
      code: -32003,
      data: { code: 'POLICY_TOOL_DENIED' },
    });
    await expect(
      client.callTool({ name: 'everything__get-env', arguments: {} }),
    ).rejects.toMatchObject({
      data: { code: 'POLICY_TOOL_DENIED' },
    });
    // The allowed call through the same upstream is recorded, so the recorder works.
    await client.callTool({ name: 'rec__echo', arguments: { text: `allowed-${marker}` } });
    expect(recorded()).toContain(`allowed-${marker}`);
    expect(recorded()).not.toContain(`"${marker}"`);
  });
});

describe('when the client sends its own credentials', () => {
  it('[HTTP-5] never forwards Authorization or cookies to an upstream', async () => {
    for (const mode of [undefined, 'auto' as const]) {
      const { client } = await connect(mode, {
        Authorization: 'Bearer agent-secret',
        Cookie: 'session=agent-cookie',
      });
      const result = await client.callTool({ name: 'web__whoami', arguments: {} });
      expect(result.content).toEqual([{ type: 'text', text: 'web says hi' }]);
      await client.close();
    }
    expect(web.seen.length).toBeGreaterThan(0);
    // The upstream does get the gateway's own configured header: the recorder sees real headers.
    expect(web.seen.some((h) => h['x-upstream-key'] === 'upstream-own-key')).toBe(true);
    const all = JSON.stringify(web.seen);
    expect(all).not.toContain('agent-secret');
    expect(all).not.toContain('agent-cookie');
    expect(web.seen.every((h) => h.authorization === undefined && h.cookie === undefined)).toBe(
      true,
    );
  });
});

describe('when binding', () => {
  it('[HTTP-1] binds loopback, also when given only a port; shuts down cleanly on SIGTERM', async () => {
    expect(gateway.address).toBe('127.0.0.1');
    const bare = await startServe(
      { servers: { rec: { ...recording(join(tempDir(), 'r')), tools: ['echo'] } } },
      '0',
    );
    let stopped: number | string | null;
    try {
      expect(bare.address).toBe('127.0.0.1');
      expect(bare.url).toBe(`http://127.0.0.1:${bare.port}/mcp`);
      // Not reachable on any non-loopback interface address of this machine.
      const external = Object.values(networkInterfaces())
        .flat()
        .filter((i) => i && i.family === 'IPv4' && !i.internal)
        .map((i) => i?.address as string);
      for (const address of external)
        await expect(
          raw(`http://${address}:${bare.port}/mcp`, { method: 'GET' }),
        ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      const ok = await raw(bare.url, { method: 'GET' });
      expect(ok.status).not.toBe(0);
      // One gateway serves both checks: a start costs seconds on a busy machine.
      await openLegacySession(bare.url);
    } finally {
      stopped = await bare.stop();
    }
    expect(stopped).toBe(0);
    expect(bare.stderr()).toContain('"gateway stopped"');
  });
});

const ping = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });

describe('when a request comes from a foreign site', () => {
  it('[HTTP-2] refuses a foreign Host with 403 HTTP_HOST_REJECTED', async () => {
    for (const method of ['POST', 'GET', 'DELETE']) {
      const res = await raw(gateway.url, {
        method,
        headers: { ...JSON_HEADERS, host: 'evil.example:8787' },
        body: method === 'POST' ? ping : '',
      });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.text)).toMatchObject({
        jsonrpc: '2.0',
        id: null,
        error: { data: { code: 'HTTP_HOST_REJECTED' } },
      });
    }
  });

  it('[HTTP-2] accepts loopback and configured Host names', async () => {
    for (const host of ['localhost', `127.0.0.1:${gateway.port}`, `gateway.test:${gateway.port}`]) {
      const id = await openLegacySession(gateway.url, { host });
      expect(id).toMatch(SESSION_ID);
    }
  });

  it('[HTTP-2] refuses a foreign or opaque Origin with 403 HTTP_ORIGIN_REJECTED', async () => {
    for (const origin of [
      'https://evil.example',
      'null',
      'http://127.0.0.1.evil.example',
      'not a url',
    ]) {
      const res = await raw(gateway.url, { headers: { ...JSON_HEADERS, origin }, body: ping });
      expect(res.status).toBe(403);
      expect(dataCode(JSON.parse(res.text) as Record<string, unknown>)).toBe(
        'HTTP_ORIGIN_REJECTED',
      );
    }
  });

  it('[HTTP-2] accepts no Origin, loopback origins and configured origins', async () => {
    for (const origin of ['http://localhost:3000', 'http://127.0.0.1', 'https://app.example.com']) {
      const id = await openLegacySession(gateway.url, { origin });
      expect(id).toMatch(SESSION_ID);
    }
  });
});

describe('when the body is not one acceptable JSON-RPC message', () => {
  const post = (body: Uint8Array | string, headers: Record<string, string> = {}) =>
    raw(gateway.url, { headers: { ...JSON_HEADERS, ...headers }, body });

  it('[HTTP-3] [LIM-1] refuses an oversized body with 413 HTTP_BODY_TOO_LARGE', async () => {
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'rec__echo', arguments: { text: 'x'.repeat(MAX_BYTES) } },
    });
    const res = await post(big);
    expect(res.status).toBe(413);
    expect(dataCode(JSON.parse(res.text) as Record<string, unknown>)).toBe('HTTP_BODY_TOO_LARGE');
    // Also without a Content-Length (chunked): the cap holds while streaming.
    const chunked = await raw(gateway.url, {
      headers: { ...JSON_HEADERS, 'transfer-encoding': 'chunked' },
      body: big,
    });
    expect(chunked.status).toBe(413);
    expect(recorded()).not.toContain('x'.repeat(1000));
  });

  it('[HTTP-3] [FRM-2] refuses a JSON-RPC batch with LIMIT_BATCH_REJECTED', async () => {
    const res = await post(
      JSON.stringify([JSON.parse(ping), { jsonrpc: '2.0', id: 2, method: 'tools/list' }]),
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({
      id: null,
      error: { code: -32600, data: { code: 'LIMIT_BATCH_REJECTED' } },
    });
  });

  it('[HTTP-3] refuses a non-JSON Content-Type with 415', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const res = await post(ping, { 'content-type': type });
      expect(res.status).toBe(415);
      expect(dataCode(JSON.parse(res.text) as Record<string, unknown>)).toBe(
        'HTTP_UNSUPPORTED_MEDIA_TYPE',
      );
    }
    const missing = await raw(gateway.url, {
      headers: { accept: JSON_HEADERS.accept },
      body: ping,
    });
    expect(missing.status).toBe(415);
  });

  it('[FRM-1] answers malformed JSON with -32700 FRAME_PARSE_ERROR', async () => {
    const res = await post('{"jsonrpc":"2.0","id":3,"method":');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({
      error: { code: -32700, data: { code: 'FRAME_PARSE_ERROR' } },
    });
  });

  it('[FRM-1] answers invalid UTF-8 bytes with FRAME_INVALID_UTF8', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"jsonrpc":"2.0","id":4,"method":"ping","params":{"x":"'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('"}}'),
    ]);
    const res = await post(bytes);
    expect(res.status).toBe(400);
    expect(dataCode(JSON.parse(res.text) as Record<string, unknown>)).toBe('FRAME_INVALID_UTF8');
  });

  it('[FRM-1] answers an invalid envelope with FRAME_INVALID_JSONRPC and its id', async () => {
    const res = await post(JSON.stringify({ jsonrpc: '1.0', id: 'abc', method: 'ping' }));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({
      id: 'abc',
      error: { data: { code: 'FRAME_INVALID_JSONRPC' } },
    });
  });

  it('[LIM-2] refuses a too deeply nested message with LIMIT_TOO_DEEP and its id', async () => {
    const deep = `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"rec__echo","arguments":{"text":${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}}}}`;
    const res = await post(deep);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({
      id: 5,
      error: { data: { code: 'LIMIT_TOO_DEEP' } },
    });
  });

  it('refuses other paths and methods', async () => {
    expect(
      (await raw(gateway.url, { path: '/other', headers: JSON_HEADERS, body: ping })).status,
    ).toBe(404);
    const put = await raw(gateway.url, { method: 'PUT', headers: JSON_HEADERS, body: ping });
    expect(put.status).toBe(405);
    expect(dataCode(JSON.parse(put.text) as Record<string, unknown>)).toBe(
      'HTTP_METHOD_NOT_ALLOWED',
    );
  });
});

describe('when a request names a session', () => {
  const withSession = (session: string, extra: Record<string, string> = {}) => ({
    ...JSON_HEADERS,
    'mcp-session-id': session,
    'mcp-protocol-version': '2025-11-25',
    ...extra,
  });

  it('[HTTP-4] answers an unknown session id with 404 HTTP_SESSION_UNKNOWN', async () => {
    const res = await raw(gateway.url, { headers: withSession(randomUUID()), body: ping });
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text)).toMatchObject({
      id: 1,
      error: { data: { code: 'HTTP_SESSION_UNKNOWN' } },
    });
  });

  it("[HTTP-4] refuses another caller's session with 403 HTTP_SESSION_FORBIDDEN", async () => {
    const alice = { authorization: 'Bearer alice' };
    const session = await openLegacySession(gateway.url, alice);
    const own = await raw(gateway.url, { headers: withSession(session, alice), body: ping });
    expect(own.status).toBe(200);
    expect(messagesOf(own)).toEqual([{ jsonrpc: '2.0', id: 1, result: {} }]);
    for (const other of [{ authorization: 'Bearer mallory' }, {}]) {
      const res = await raw(gateway.url, { headers: withSession(session, other), body: ping });
      expect(res.status).toBe(403);
      expect(dataCode(JSON.parse(res.text) as Record<string, unknown>)).toBe(
        'HTTP_SESSION_FORBIDDEN',
      );
      const del = await raw(gateway.url, {
        method: 'DELETE',
        headers: withSession(session, other),
      });
      expect(del.status).toBe(403);
    }
    // The session survived the foreign attempts.
    expect(
      (await raw(gateway.url, { headers: withSession(session, alice), body: ping })).status,
    ).toBe(200);
  });

  it('[HTTP-4] gives every session a fresh random id', async () => {
    const ids = await Promise.all([1, 2, 3, 4].map(() => openLegacySession(gateway.url)));
    expect(new Set(ids).size).toBe(4);
  });

  it('opens the standalone SSE stream on GET and ends the session on DELETE', async () => {
    const session = await openLegacySession(gateway.url);
    const controller = new AbortController();
    const started = Date.now();
    const sse = await fetch(gateway.url, {
      headers: {
        accept: 'text/event-stream',
        'mcp-session-id': session,
        'mcp-protocol-version': '2025-11-25',
      },
      signal: controller.signal,
    });
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    // Headers are flushed at once, not held back until the first keep-alive (15 s).
    expect(Date.now() - started).toBeLessThan(5000);
    controller.abort();
    const del = await raw(gateway.url, { method: 'DELETE', headers: withSession(session) });
    expect(del.status).toBe(200);
    const after = await raw(gateway.url, { headers: withSession(session), body: ping });
    expect(after.status).toBe(404);
  });
});

describe('when sessions are limited', () => {
  let small: ServeProcess;
  beforeAll(async () => {
    small = await startServe({
      http: { maxSessions: 2, sessionIdleMs: 1000 },
      servers: { rec: { ...recording(join(tempDir(), 'r')), tools: ['echo'] } },
    });
  });
  afterAll(async () => small?.stop());

  const closeSession = (id: string) =>
    raw(small.url, {
      method: 'DELETE',
      headers: { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' },
    });

  it('refuses a session over maxSessions with 503, and frees the slot on DELETE', async () => {
    const first = await openLegacySession(small.url);
    const second = await openLegacySession(small.url);
    await expect(openLegacySession(small.url)).rejects.toThrow(/503.*HTTP_TOO_MANY_SESSIONS/);
    expect((await closeSession(first)).status).toBe(200);
    const third = await openLegacySession(small.url);
    expect(third).toMatch(SESSION_ID);
    // Free both slots for the next test.
    for (const id of [second, third]) expect((await closeSession(id)).status).toBe(200);
  });

  it('[HTTP-4] closes an idle session after sessionIdleMs', async () => {
    const session = await openLegacySession(small.url);
    const headers = {
      ...JSON_HEADERS,
      'mcp-session-id': session,
      'mcp-protocol-version': '2025-11-25',
    };
    const opened = Date.now();
    expect((await raw(small.url, { headers, body: ping })).status).toBe(200);
    // Another caller's probe is refused before it counts as use (403 while the session lives, 404
    // once it is gone), so polling with it watches the session expire without keeping it alive.
    const probe = { ...headers, authorization: 'Bearer someone-else' };
    const status = async () => (await raw(small.url, { headers: probe, body: ping })).status;
    expect(await status()).toBe(403);
    await eventually(async () => (await status()) === 404, 15_000);
    expect(Date.now() - opened).toBeGreaterThanOrEqual(1000);
    expect((await raw(small.url, { headers, body: ping })).status).toBe(404);
  });
});
