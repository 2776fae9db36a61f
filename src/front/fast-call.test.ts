import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, Server } from '@modelcontextprotocol/server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Params } from '../core/interceptor.js';
import { serverInternals } from '../transport/sdk-internals.js';
import { isWellFormedCall } from './fast-call.js';

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
