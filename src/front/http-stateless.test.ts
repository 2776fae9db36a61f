import { createMcpHandler, Server, type CallToolResult } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { Gateway } from '../gateway/gateway.js';
import { serveHttpFront, type HttpFrontHandle } from './http-front.js';
import { serveOnLoopback } from '../../test/e2e/http-front-rig.js';
import { postRaw } from './raw-post.js';

/**
 * The 2026-07-28 (stateless) fast path of the HTTP front, held to the SDK path it skips: the same
 * raw request through a real front with the fast path on and with it switched off
 * (`TOOLGATE_FAST_PATHS` without `stateless-call`) gets the same status, media type and bytes.
 * A real gateway over a real MCP server (Streamable HTTP on loopback, in this process).
 */
const called: string[] = [];

/** Raw results, some deliberately off the schema: the upstream's SDK sends what a handler returns. */
const TOOLS: Record<string, (args: unknown) => CallToolResult> = {
  echo: (args) => ({ content: [{ type: 'text', text: JSON.stringify(args) }] }),
  structured: () => ({
    content: [{ type: 'text', text: '{"n":1}' }],
    structuredContent: { n: 1 },
  }),
  contentless: () => ({ structuredContent: { n: 2 } }) as unknown as CallToolResult,
  invalid: () => ({ content: [{ type: 'nonsense' }] }) as unknown as CallToolResult,
  failing: () => ({ content: [{ type: 'text', text: 'it broke' }], isError: true }),
  throwing: () => {
    throw new Error('upstream handler threw');
  },
  wipe: () => ({ content: [] }),
};

const startUpstream = async () => {
  const handler = createMcpHandler(() => {
    const server = new Server({ name: 'web', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler('tools/list', () =>
      Promise.resolve({
        tools: Object.keys(TOOLS).map((name) => ({
          name,
          description: `The ${name} tool.`,
          inputSchema: { type: 'object' as const },
        })),
      }),
    );
    server.setRequestHandler('tools/call', (request) => {
      called.push(request.params.name);
      const tool = TOOLS[request.params.name] ?? TOOLS['wipe'];
      return Promise.resolve(tool?.(request.params.arguments) ?? { content: [] });
    });
    return server;
  });
  return serveOnLoopback(handler);
};

let upstream: Awaited<ReturnType<typeof startUpstream>>;
let gateway: Gateway;
let front: HttpFrontHandle;

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = new Gateway(
    parseConfig({
      audit: false,
      servers: {
        web: {
          url: upstream.url,
          tools: ['echo', 'structured', 'contentless', 'invalid', 'failing', 'throwing'],
        },
      },
    }),
    { outbound: { commit: () => undefined } },
  );
  await gateway.start();
  front = await serveHttpFront(gateway, { host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await front?.close();
  await gateway?.stop();
  await upstream?.close();
});

interface Answer {
  readonly status: number;
  readonly type: string | undefined;
  readonly body: string;
  /** Whether the fast path wrote it: it sets Content-Length, the SDK's web Response streams chunked. */
  readonly fast: boolean;
}

const post = async (body: string, headers: Record<string, string>): Promise<Answer> => {
  const answer = await postRaw(front.address.port, body, headers);
  return {
    status: answer.status,
    type: answer.headers['content-type'],
    body: answer.body,
    fast: answer.headers['content-length'] !== undefined,
  };
};

/** The request once with every fast path on, once with only this one off; in that order. */
const bothWays = async (
  body: string,
  headers: Record<string, string>,
): Promise<[Answer, Answer]> => {
  const fast = await post(body, headers);
  process.env['TOOLGATE_FAST_PATHS'] = 'front-call,upstream-request,result-schema';
  try {
    return [fast, await post(body, headers)];
  } finally {
    delete process.env['TOOLGATE_FAST_PATHS'];
  }
};

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

const callOf = (name: string, args: unknown = { text: 'hi' }, meta: object = ENVELOPE) => ({
  body: JSON.stringify({
    jsonrpc: '2.0',
    id: 7,
    method: 'tools/call',
    params: { name, arguments: args, _meta: meta },
  }),
  headers: {
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': 'tools/call',
    'mcp-name': name,
  },
});

describe('the stateless (2026-07-28) fast path answers a plain tools/call as the SDK path does', () => {
  it.each([
    ['an allowed call', 'web__echo'],
    ['a result with structured content', 'web__structured'],
    ['a result without content', 'web__contentless'],
    ['a result that fails the schema', 'web__invalid'],
    ['a tool error result', 'web__failing'],
    ['an upstream that throws', 'web__throwing'],
    ['[ALLOW-2] a tool off the allowlist', 'web__wipe'],
    ['[ALLOW-2] an unknown server', 'nowhere__echo'],
  ])('[HTTP-9] %s: same status, media type and bytes', async (_, name) => {
    const { body, headers } = callOf(name);
    const [fast, sdk] = await bothWays(body, headers);
    expect(fast.fast, 'the fast path answered').toBe(true);
    expect(sdk.fast, 'the SDK path answered').toBe(false);
    expect({ ...fast, fast: undefined }).toEqual({ ...sdk, fast: undefined });
  });

  it('[ALLOW-2] a denied call reaches no upstream on the fast path', async () => {
    called.length = 0;
    const { body, headers } = callOf('web__wipe');
    const answer = await post(body, headers);
    expect(answer.fast).toBe(true);
    expect(JSON.parse(answer.body)).toMatchObject({
      id: 7,
      error: { data: { code: 'POLICY_TOOL_DENIED' } },
    });
    expect(called).toEqual([]);
  });

  it('runs as the caller its Authorization header names, as the SDK path does', async () => {
    const { body, headers } = callOf('web__echo');
    const [fast, sdk] = await bothWays(body, { ...headers, authorization: 'Bearer abc' });
    expect(fast.fast).toBe(true);
    expect(fast.body).toBe(sdk.body);
  });
});

describe('the stateless fast path leaves to the SDK what it does not answer itself', () => {
  const plain = callOf('web__echo');
  it.each([
    ['a progress token', callOf('web__echo', {}, { ...ENVELOPE, progressToken: 1 })],
    [
      'a client that declared elicitation',
      callOf(
        'web__echo',
        {},
        { ...ENVELOPE, 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } },
      ),
    ],
    ['no Mcp-Name header', { ...plain, headers: { ...plain.headers, 'mcp-name': '' } }],
    [
      'a header naming another method',
      { ...plain, headers: { ...plain.headers, 'mcp-method': 'tools/list' } },
    ],
    [
      'a header naming another revision',
      { ...plain, headers: { ...plain.headers, 'mcp-protocol-version': '2025-11-25' } },
    ],
    [
      'an envelope naming another revision',
      callOf(
        'web__echo',
        {},
        { ...ENVELOPE, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' },
      ),
    ],
    ['arguments that are no object', callOf('web__echo', [1])],
    [
      'a client info that is no implementation',
      callOf('web__echo', {}, { ...ENVELOPE, 'io.modelcontextprotocol/clientInfo': 'me' }),
    ],
  ])('%s: the SDK answers, the same with the fast path on or off', async (_, { body, headers }) => {
    const [on, off] = await bothWays(body, headers);
    expect(on.fast, 'the fast path stayed out').toBe(false);
    expect(on).toEqual(off);
  });
});
