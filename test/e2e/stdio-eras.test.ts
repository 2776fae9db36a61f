import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_INFO_META_KEY } from '@modelcontextprotocol/client';
import { fixture, npmServer, startStdioGateway, type Running } from './harness.js';

/** Servers of both eras: `old` (2025, from npm), `modern` (the tricky fixture on 2026-07-28), and
 * `stamped` (2026-07-28, stamps its own serverInfo in every result's `_meta`). */
const old = {
  command: process.execPath,
  args: [npmServer('server-everything'), 'stdio'],
  tools: ['echo'],
};
const modern = {
  command: process.execPath,
  args: [fixture('tricky')],
  tools: ['echo'],
  protocol: '2026-07-28',
};
const stamped = {
  command: process.execPath,
  args: [fixture('echo-server')],
  tools: ['echo'],
  protocol: '2026-07-28',
};

describe('protocol eras: a 2026-07-28 client', () => {
  let gw: Running;
  beforeAll(async () => {
    gw = await startStdioGateway(
      { servers: { old, modern, stamped } },
      { client: { versionNegotiation: { mode: { pin: '2026-07-28' } } } },
    );
  });
  afterAll(() => gw.close());

  it('is served in front of 2025 and 2026 servers', async () => {
    expect(gw.client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    expect((await gw.client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'modern__echo',
      'old__echo',
      'stamped__echo',
    ]);
    expect(
      await gw.client.callTool({ name: 'old__echo', arguments: { message: 'a' } }),
    ).toMatchObject({ content: [{ text: 'Echo: a' }] });
    expect(
      await gw.client.callTool({ name: 'modern__echo', arguments: { text: 'b' } }),
    ).toMatchObject({ content: [{ text: 'b' }] });
    expect(gw.stderr.join('\n')).toContain('"era":"2026-07-28"');
  });

  it('[NS-2] sees toolgate as the server of every result, never the upstream', async () => {
    for (const name of ['stamped__echo', 'old__echo']) {
      // A raw request: the SDK client's callTool may fold `_meta` away; the wire result is what is checked.
      const result = await gw.client.request({
        method: 'tools/call',
        params: { name, arguments: { text: 'x', message: 'x' } },
      });
      expect(result._meta?.[SERVER_INFO_META_KEY], name).toMatchObject({ name: 'toolgate' });
    }
  });
});

describe('protocol eras: a 2025 client', () => {
  let gw: Running;
  beforeAll(async () => {
    gw = await startStdioGateway({ servers: { modern, stamped } });
  });
  afterAll(() => gw.close());

  it('is served in front of a 2026-07-28 server', async () => {
    expect(gw.client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
    expect(
      await gw.client.callTool({ name: 'modern__echo', arguments: { text: 'c' } }),
    ).toMatchObject({ content: [{ text: 'c' }] });
  });

  it('[NS-2] in front of a 2026-07-28 server gets no serverInfo of the upstream in results', async () => {
    // The fixture stamps `_meta["io.modelcontextprotocol/serverInfo"]` ({ name: "echo" }) on its results.
    const result = await gw.client.request({
      method: 'tools/call',
      params: { name: 'stamped__echo', arguments: { text: 'd' } },
    });
    expect(result).toMatchObject({ content: [{ text: 'd' }] });
    expect(result._meta?.[SERVER_INFO_META_KEY]).toBeUndefined();
  });
});
