import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, Server } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { lacking } from '../../test/fixtures/sdk-lacking.js';
import { createFastRequest } from './fast-request.js';
import { sendRequest } from './sdk-request.js';

/** A real SDK server with one tool, `echo`, and a real SDK client connected to it in memory. */
const connectEcho = async (): Promise<Client> => {
  const server = new Server({ name: 'echo', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/call', (request) =>
    Promise.resolve({
      content: [{ type: 'text' as const, text: String(request.params.arguments?.['text']) }],
    }),
  );
  const client = new Client({ name: 'toolgate', version: '1.0.0' });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(a), client.connect(b)]);
  return client;
};

const options = () => ({ signal: new AbortController().signal, timeout: 5000 });
const echo = { name: 'echo', arguments: { text: 'hi' } };

describe('an upstream request when the SDK internals of its fast paths moved', () => {
  const clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  // Lacking the codec lookup, both borrowers are off and no private member is called at all; lacking
  // another member, only the fast path is off and the result check (still whole) keeps its member.
  it.each([
    { member: '_resolveOutboundCodec', borrowed: [] },
    { member: '_envelopeOutbound', borrowed: ['_resolveOutboundCodec'] },
    { member: '_requestMessageId', borrowed: ['_resolveOutboundCodec'] },
  ])(
    'a Client lacking $member: no fast path, and the call still succeeds through the public SDK path',
    async ({ member, borrowed }) => {
      const client = await connectEcho();
      clients.push(client);
      const { view, calls } = lacking(client, member);
      const fast = createFastRequest(view, () => Promise.resolve());
      expect(fast).toBeUndefined();
      await expect(sendRequest(view, fast, 'tools/call', echo, options())).resolves.toEqual({
        content: [{ type: 'text', text: 'hi' }],
      });
      // Private members called through toolgate's view; the SDK's own calls run on the real object.
      expect(calls).toEqual(borrowed);
    },
  );

  it('a Client with every member: the result check is built from its internals (the control)', async () => {
    const client = await connectEcho();
    clients.push(client);
    const { view, calls } = lacking(client, '_not_a_member');
    await expect(sendRequest(view, undefined, 'tools/call', echo, options())).resolves.toEqual({
      content: [{ type: 'text', text: 'hi' }],
    });
    expect(calls).toContain('_resolveOutboundCodec');
  });
});
