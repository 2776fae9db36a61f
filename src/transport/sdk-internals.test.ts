import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, Server } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lacking } from '../../test/fixtures/sdk-lacking.js';
import {
  CLIENT_MEMBERS,
  clientInternals,
  mismatch,
  MODERN_REVISION,
  modernInternals,
  outboundCodecs,
  SERVER_MEMBERS,
  serverInternals,
  serverWrappingHandlers,
  type RequestHandler,
} from './sdk-internals.js';

/**
 * The contract between toolgate and the pinned SDK: every private member the adapter lends is on
 * the real `Client` and `Server`, with the shape the adapter expects. An SDK upgrade that moves one
 * fails here, by name, before any fast path quietly turns itself off in production.
 */
describe('the SDK internals toolgate borrows are where sdk-internals.ts expects them', () => {
  let server: Server;
  let client: Client;
  const wrapped: string[] = [];
  beforeAll(async () => {
    const Wrapping = serverWrappingHandlers((method, handler) => async (request, ctx) => {
      wrapped.push(method);
      return handler(request, ctx);
    });
    server = new Wrapping({ name: 'contract', version: '1.2.3' }, { capabilities: { tools: {} } });
    server.setRequestHandler('tools/list', () => Promise.resolve({ tools: [] }));
    client = new Client({ name: 'c', version: '1.0.0' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(a), client.connect(b)]);
  });
  afterAll(async () => {
    await client.close();
  });

  const clientSpecs = Object.entries(CLIENT_MEMBERS).flatMap(([who, specs]) =>
    specs.map((spec) => ({ who, spec })),
  );
  const serverSpecs = Object.entries(SERVER_MEMBERS).flatMap(([who, specs]) =>
    specs.map((spec) => ({ who, spec })),
  );

  it.each(clientSpecs)('Client.$spec.name (for $who) has the expected shape', ({ spec }) => {
    expect(mismatch(client, spec), `SDK Client member ${spec.name} moved or changed`).toBe(
      undefined,
    );
  });

  it.each(serverSpecs)('Server.$spec.name (for $who) has the expected shape', ({ spec }) => {
    expect(mismatch(server, spec), `SDK Server member ${spec.name} moved or changed`).toBe(
      undefined,
    );
  });

  it("lends the Client's id counter, envelope and era codec, which behave as the fast path needs", () => {
    const internals = clientInternals(client);
    expect(internals, 'upstream-request fast path off on the pinned SDK').toBeDefined();
    if (!internals) return;
    const first = internals.nextRequestId();
    expect(internals.nextRequestId()).toBe(first + 1);
    const codec = internals.codec('tools/call');
    expect(codec.era).toBe('2025-11-25');
    expect(codec.hasRequestMethod('tools/call')).toBe(true);
    const decoded = codec.decodeResult('tools/call', { content: [] });
    expect(decoded.kind).toBe('complete');
    expect(codec.validateResult('tools/call', { content: 'not an array' }).ok).toBe(false);
    // The 2025 era has no envelope: the message leaves as it is.
    const message = { jsonrpc: '2.0', id: first, method: 'tools/call', params: { name: 'x' } };
    expect(internals.envelope(message)).toEqual(message);
    expect(outboundCodecs(client)?.('tools/list').hasRequestMethod('tools/list')).toBe(true);
  });

  it("lends the initialized Server's wire codec and identity", () => {
    const internals = serverInternals(server);
    expect(internals, 'front-call fast path off on the pinned SDK').toBeDefined();
    if (!internals) return;
    expect(internals.serverInfo()).toMatchObject({ name: 'contract', version: '1.2.3' });
    expect(internals.codec.hasRequestMethod('tools/call')).toBe(true);
    expect(internals.codec.encodeErrorCode(-32602)).toBe(-32602);
    expect(internals.codec.validateResult('tools/call', { content: [] }).ok).toBe(true);
  });

  it("lends a never-negotiated Server's 2026-07-28 codec and identity", () => {
    const fresh = new Server({ name: 'modern', version: '2.0.0' }, { capabilities: { tools: {} } });
    const internals = modernInternals(fresh);
    expect(internals, 'stateless-call fast path off on the pinned SDK').toBeDefined();
    if (!internals) return;
    expect(internals.codec.era).toBe(MODERN_REVISION);
    expect(internals.serverInfo()).toEqual({ name: 'modern', version: '2.0.0' });
    expect(
      internals.codec.encodeResult('tools/call', { content: [] }, internals.serverInfo()),
    ).toMatchObject({ resultType: 'complete' });
    const envelope = {
      'io.modelcontextprotocol/protocolVersion': MODERN_REVISION,
      'io.modelcontextprotocol/clientInfo': { name: 'c', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    expect(internals.codec.checkInboundEnvelope({ envelope })).toBeUndefined();
    expect(internals.codec.checkInboundEnvelope({ envelope: {} })).toEqual(expect.any(String));
  });

  it("wraps every request handler through the Server's _wrapHandler hook", async () => {
    await client.request({ method: 'tools/list', params: {} });
    expect(wrapped).toContain('tools/list');
  });
});

describe('a moved SDK member turns its borrower off instead of failing', () => {
  it('lends nothing from a Client or Server lacking a member, and calls none of them', async () => {
    const server = new Server({ name: 's', version: '1.0.0' }, { capabilities: { tools: {} } });
    const client = new Client({ name: 'c', version: '1.0.0' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(a), client.connect(b)]);
    for (const { name } of CLIENT_MEMBERS['upstream-request']) {
      const { view, calls } = lacking(client, name);
      expect(clientInternals(view), name).toBeUndefined();
      expect(calls).toEqual([]);
    }
    const { view: noCodec } = lacking(client, '_resolveOutboundCodec');
    expect(outboundCodecs(noCodec)).toBeUndefined();
    for (const { name } of SERVER_MEMBERS['front-call']) {
      const { view, calls } = lacking(server, name);
      expect(serverInternals(view), name).toBeUndefined();
      expect(calls).toEqual([]);
    }
    const fresh = new Server({ name: 'f', version: '1.0.0' }, { capabilities: { tools: {} } });
    for (const { name } of SERVER_MEMBERS['stateless-call']) {
      const { view, calls } = lacking(fresh, name);
      expect(modernInternals(view), name).toBeUndefined();
      expect(calls).toEqual([]);
    }
    await client.close();
  });

  it('leaves handlers unwrapped when _wrapHandler changed shape, and the server still answers', async () => {
    // A base whose hook takes a third argument: an SDK that changed it must not get our two-argument call.
    class Reshaped extends Server {
      protected override _wrapHandler(
        method: string,
        handler: RequestHandler,
        _extra?: unknown,
      ): RequestHandler {
        return super._wrapHandler(method, handler);
      }
    }
    let calls = 0;
    const Wrapping = serverWrappingHandlers((_method, handler) => {
      calls++;
      return handler;
    }, Reshaped);
    expect(Wrapping).toBe(Reshaped);
    const server = new Wrapping({ name: 's', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler('tools/list', () => Promise.resolve({ tools: [] }));
    const client = new Client({ name: 'c', version: '1.0.0' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(a), client.connect(b)]);
    await expect(client.request({ method: 'tools/list', params: {} })).resolves.toEqual({
      tools: [],
    });
    expect(calls).toBe(0);
    await client.close();
  });

  it('TOOLGATE_FAST_PATHS keeps only the fast paths it names on', async () => {
    const server = new Server({ name: 's', version: '1.0.0' }, { capabilities: { tools: {} } });
    const client = new Client({ name: 'c', version: '1.0.0' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(a), client.connect(b)]);
    process.env['TOOLGATE_FAST_PATHS'] = 'upstream-request';
    try {
      expect(serverInternals(server)).toBeUndefined();
      expect(outboundCodecs(client)).toBeUndefined();
      expect(clientInternals(client)).toBeDefined();
      process.env['TOOLGATE_FAST_PATHS'] = 'off';
      expect(clientInternals(client)).toBeUndefined();
    } finally {
      delete process.env['TOOLGATE_FAST_PATHS'];
    }
    expect(serverInternals(server)).toBeDefined();
    await client.close();
  });
});
