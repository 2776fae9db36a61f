import { Client, ProtocolError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createMcpHandler, Server } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { Gateway } from '../gateway/gateway.js';
import { serveHttpFront, type HttpFrontHandle } from './http-front.js';
import { serveOnLoopback } from '../../test/e2e/http-front-rig.js';
import { postRaw } from './raw-post.js';

/**
 * The HTTP front run for real, in this process: a real gateway over a real MCP server (Streamable
 * HTTP on loopback, so nothing is spawned), and the SDK's own client or raw `fetch` in front of it.
 */
const MAX_BYTES = 16 * 1024;
const called: string[] = [];

const startUpstream = async () => {
  const handler = createMcpHandler(() => {
    const server = new Server({ name: 'web', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler('tools/list', () =>
      Promise.resolve({
        tools: ['echo', 'wipe'].map((name) => ({
          name,
          description: `The ${name} tool.`,
          inputSchema: { type: 'object' as const },
        })),
      }),
    );
    server.setRequestHandler('tools/call', (request) => {
      called.push(request.params.name);
      return Promise.resolve({
        content: [{ type: 'text' as const, text: JSON.stringify(request.params.arguments) }],
      });
    });
    return server;
  });
  return serveOnLoopback(handler);
};

let upstream: Awaited<ReturnType<typeof startUpstream>>;
let gateway: Gateway;
let front: HttpFrontHandle;
let client: Client;

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = new Gateway(
    parseConfig({
      audit: false,
      limits: { maxMessageBytes: MAX_BYTES },
      http: { allowedOrigins: ['https://app.example.com'] },
      servers: { web: { url: upstream.url, tools: ['echo'] } },
    }),
    { outbound: { commit: () => undefined } },
  );
  await gateway.start();
  front = await serveHttpFront(gateway, { host: '127.0.0.1', port: 0 });
  client = new Client({ name: 'unit', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(front.url)));
});

afterAll(async () => {
  await client?.close();
  await front?.close();
  await gateway?.stop();
  await upstream?.close();
});

/** One raw HTTP request (node:http, which, unlike fetch, sends any Host), its status and JSON body. */
const send = async (
  body: string,
  headers: Record<string, string> = {},
  path = new URL(front.url).pathname,
): Promise<{ status: number; code: unknown }> => {
  const answer = await postRaw(front.address.port, body, headers, path);
  const json = (answer.body.startsWith('{') ? JSON.parse(answer.body) : {}) as {
    error?: { data?: { code?: unknown } };
  };
  return { status: answer.status, code: json.error?.data?.code };
};
const listing = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });

describe('when an MCP client connects over HTTP', () => {
  it('[HTTP-1] listens on the loopback address it was given', () => {
    expect(front.address.address).toBe('127.0.0.1');
    expect(front.url).toBe(`http://127.0.0.1:${front.address.port}/mcp`);
  });

  it('[ALLOW-1] lists only the allowlisted tool, namespaced', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['web__echo']);
  });

  it('calls an allowed tool on the upstream', async () => {
    const result = await client.callTool({ name: 'web__echo', arguments: { text: 'hi' } });
    expect(result.content).toEqual([{ type: 'text', text: '{"text":"hi"}' }]);
  });

  it('[ALLOW-2] refuses a denied tool with POLICY_TOOL_DENIED, and nothing reaches the upstream', async () => {
    const call = client.callTool({ name: 'web__wipe', arguments: {} });
    await expect(call).rejects.toBeInstanceOf(ProtocolError);
    await expect(call).rejects.toMatchObject({ data: { code: 'POLICY_TOOL_DENIED' } });
    expect(called).not.toContain('wipe');
  });
});

describe('when a request fails the front’s own gates', () => {
  it('[HTTP-2] refuses a foreign Host or Origin with 403, before any MCP handling', async () => {
    await expect(send(listing, { host: 'evil.example' })).resolves.toEqual({
      status: 403,
      code: 'HTTP_HOST_REJECTED',
    });
    await expect(send(listing, { origin: 'https://evil.example' })).resolves.toEqual({
      status: 403,
      code: 'HTTP_ORIGIN_REJECTED',
    });
  });

  it('[HTTP-2] accepts a configured Origin', async () => {
    const initialize = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'raw', version: '1' },
      },
    });
    await expect(send(initialize, { origin: 'https://app.example.com' })).resolves.toMatchObject({
      status: 200,
    });
  });

  it('[HTTP-3] [LIM-1] refuses a body over maxMessageBytes with 413', async () => {
    await expect(send(JSON.stringify({ pad: 'x'.repeat(MAX_BYTES) }))).resolves.toEqual({
      status: 413,
      code: 'HTTP_BODY_TOO_LARGE',
    });
  });

  it('[HTTP-3] [FRM-2] refuses a batch with LIMIT_BATCH_REJECTED', async () => {
    await expect(send(`[${listing},${listing}]`)).resolves.toMatchObject({
      code: 'LIMIT_BATCH_REJECTED',
    });
  });

  it('[HTTP-3] refuses a non-JSON Content-Type with 415', async () => {
    await expect(send(listing, { 'content-type': 'text/plain' })).resolves.toEqual({
      status: 415,
      code: 'HTTP_UNSUPPORTED_MEDIA_TYPE',
    });
  });

  it('[FRM-1] answers malformed JSON with FRAME_PARSE_ERROR', async () => {
    await expect(send('{"jsonrpc":')).resolves.toMatchObject({ code: 'FRAME_PARSE_ERROR' });
  });

  it('refuses another path with 404', async () => {
    await expect(send(listing, {}, '/other')).resolves.toEqual({
      status: 404,
      code: 'HTTP_NOT_FOUND',
    });
  });
});
