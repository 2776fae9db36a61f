import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import {
  Client,
  ProtocolError,
  StreamableHTTPClientTransport,
  type VersionNegotiationMode,
} from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JSON_HEADERS,
  dataCode,
  everything,
  memory,
  newRecordFile,
  openLegacySession,
  raw,
  recording,
  startServe,
  tempDir,
  type ServeProcess,
} from './gateway-process.js';
import { MAX_BYTES, MAX_DEPTH, ping, SESSION_ID, startHeaderRecorder } from './http-front-rig.js';

let gateway: ServeProcess;
let web: Awaited<ReturnType<typeof startHeaderRecorder>>;
let recordFile: string;

beforeAll(async () => {
  recordFile = newRecordFile();
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
