import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, Server, type JSONRPCMessage } from '@modelcontextprotocol/server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lacking } from '../../test/fixtures/sdk-lacking.js';
import { parseConfig } from '../config/load.js';
import type { Params } from '../core/interceptor.js';
import { Gateway } from '../gateway/gateway.js';
import { serverInternals } from '../transport/sdk-internals.js';
import { createFastCall, isWellFormedCall } from './fast-call.js';
import { createFrontServer, type FrontServer } from './front-server.js';

describe('the stdio front fast path checks a plain tools/call as the SDK codec does', () => {
  let server: Server;
  let client: Client;
  beforeAll(async () => {
    // A real SDK pair, so the codec is the one a 2025-era session negotiates.
    server = new Server({ name: 's', version: '1.0.0' }, { capabilities: { tools: {} } });
    client = new Client({ name: 'c', version: '1.0.0' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(a), client.connect(b)]);
  });
  afterAll(async () => {
    await client.close();
  });

  it('accepts exactly the params the codec accepts (property)', () => {
    const codec = serverInternals(server)?.codec;
    expect(codec, 'the SDK internals the fast path borrows are missing').toBeDefined();
    if (!codec) return;
    expect((codec as { era?: string }).era).toBe('2025-11-25'); // the fast path serves 2025-era sessions only
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.anything()),
      fc.dictionary(fc.string(), fc.anything()),
      fc.anything(),
    );
    fc.assert(
      fc.property(fc.record({ name: value, arguments: value }, { requiredKeys: [] }), (params) => {
        const sdk = codec.validateRequest('tools/call', {
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params,
        });
        expect(isWellFormedCall(params as Params)).toBe(sdk.ok);
      }),
      {
        numRuns: 2000,
        examples: [
          [{ name: 'x', arguments: [] }],
          [{ name: 'x' }],
          [{ arguments: {} }],
          [{ name: 1, arguments: {} }],
        ],
      },
    );
  });
});

describe('the stdio front fast path when the SDK Server internals it borrows moved', () => {
  const everything = fileURLToPath(
    new URL(
      '../../node_modules/@modelcontextprotocol/server-everything/dist/index.js',
      import.meta.url,
    ),
  );
  let gateway: Gateway;
  let front: FrontServer;
  let client: Client;
  beforeAll(async () => {
    gateway = new Gateway(
      parseConfig({
        servers: {
          everything: { command: process.execPath, args: [everything, 'stdio'], tools: ['echo'] },
        },
      }),
      { outbound: { commit: () => undefined } },
    );
    await gateway.start();
    front = createFrontServer(gateway, { id: 'test', transport: 'stdio' }, 'legacy');
    client = new Client({ name: 'c', version: '1.0.0' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await Promise.all([front.server.connect(a), client.connect(b)]);
  });
  afterAll(async () => {
    await client.close();
    front.detach();
    await gateway.stop();
  });

  const call = (id: number) => ({
    jsonrpc: '2.0' as const,
    id,
    method: 'tools/call',
    params: { name: 'everything__echo', arguments: { message: 'hi' } },
  });

  it('answers a plain call itself with every member there (the control)', async () => {
    const replies: JSONRPCMessage[] = [];
    const replied = new Promise<void>((resolve) => {
      const fast = createFastCall(
        () => front,
        (message) => {
          replies.push(message);
          resolve();
        },
      );
      expect(fast.intercept(call(1))).toBe(true);
    });
    await replied;
    expect(replies[0]).toMatchObject({ id: 1, result: { content: [{ text: 'Echo: hi' }] } });
  });

  it.each(['_negotiatedWireCodec', '_outboundServerInfo'])(
    'a Server lacking %s: the call goes to the SDK, calls no private member, and succeeds',
    async (member) => {
      const { view, calls } = lacking(front.server, member);
      const fast = createFastCall(
        () => ({ ...front, server: view }),
        () => expect.unreachable('the fast path answered'),
      );
      expect(fast.intercept(call(2))).toBe(false);
      expect(calls).toEqual([]);
      // Declined, the frame goes on to the SDK Server, as the stdio front passes it.
      await expect(
        client.callTool({ name: 'everything__echo', arguments: { message: 'hi' } }),
      ).resolves.toMatchObject({ content: [{ type: 'text', text: 'Echo: hi' }] });
    },
  );
});
