import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { Server } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { ClientChannel, Params, Result } from '../core/interceptor.js';
import { AuditError } from '../errors.js';
import { createOutbound } from '../transport/outbound.js';
import { Gateway } from './gateway.js';
import type { FrontSession } from './sessions.js';

/**
 * The gateway's routing, in process, against real MCP servers over Streamable HTTP on 127.0.0.1
 * (the SDK's `Server` on its stateful Node transport): names to servers through the namespace, lists
 * fanned out and paged, server→client requests back to the session whose call caused them.
 */

/** Every tools/call an upstream received, as `server:tool`. */
const served: string[] = [];

/** A real upstream: tools that say which server ran them, a paged tools list, prompts, resources, and `ask` (elicits). */
const upstreamServer = (id: string, toolCount: number, upstreamPageSize: number): Server => {
  const server = new Server(
    { name: id, version: '1.0.0' },
    { capabilities: { tools: {}, prompts: {}, resources: {} } },
  );
  const tools = Array.from({ length: toolCount }, (_, i) => ({
    name: i === 0 ? 'whoami' : i === 1 ? 'ask' : `tool${i}`,
    inputSchema: { type: 'object' as const },
  }));
  server.setRequestHandler('tools/list', (request) => {
    // Its own pagination: the gateway follows every page.
    const from = Number(request.params?.cursor ?? 0);
    const page = tools.slice(from, from + upstreamPageSize);
    const next = from + upstreamPageSize;
    return { tools: page, ...(next < tools.length && { nextCursor: String(next) }) };
  });
  server.setRequestHandler('tools/call', async (request, ctx) => {
    served.push(`${id}:${request.params.name}`);
    if (request.params.name !== 'ask')
      return { content: [{ type: 'text', text: `${id}:${request.params.name}` }] };
    const answer = await ctx.mcpReq.elicitInput({
      message: 'which colour?',
      requestedSchema: { type: 'object', properties: { colour: { type: 'string' } } },
    });
    return { content: [{ type: 'text', text: `${id} heard ${JSON.stringify(answer.content)}` }] };
  });
  server.setRequestHandler('prompts/list', () => ({ prompts: [{ name: 'greet' }] }));
  server.setRequestHandler('prompts/get', () => ({
    messages: [{ role: 'user', content: { type: 'text', text: `hello from ${id}` } }],
  }));
  server.setRequestHandler('resources/list', () => ({
    resources: [{ uri: `file:///${id}.txt`, name: `${id}.txt` }],
  }));
  server.setRequestHandler('resources/read', (request) => ({
    contents: [{ uri: request.params.uri, text: `read by ${id}` }],
  }));
  return server;
};

/** The upstream over stateful Streamable HTTP (one `Server` per session), so it may ask the client during a call. */
const listen = async (id: string, toolCount: number, upstreamPageSize: number) => {
  const sessions = new Map<string, NodeStreamableHTTPServerTransport>();
  const http = createServer((req, res) => {
    const known = sessions.get(String(req.headers['mcp-session-id']));
    const transport =
      known ??
      new NodeStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => void sessions.set(sid, transport),
      });
    const ready = known
      ? Promise.resolve()
      : upstreamServer(id, toolCount, upstreamPageSize).connect(transport);
    void ready.then(() => transport.handleRequest(req, res));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { http, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp` };
};

/** A front session and its channel back to the client, answering elicitations as the given user. */
const clientOf = (id: string, colour: string) => {
  const asked: Params[] = [];
  const session: FrontSession = {
    id,
    principal: { id: `agent-${id}`, transport: 'http' },
    era: 'legacy',
    notify: () => Promise.resolve(),
    subscriptions: new Set(),
  };
  const channel: ClientChannel = {
    sessionId: id,
    era: 'legacy',
    canElicit: () => false,
    request: (method, params): Promise<Result> => {
      asked.push({ method, ...params });
      return Promise.resolve({ action: 'accept', content: { colour } });
    },
    notify: () => Promise.resolve(),
  };
  return { session, channel, asked };
};

const signal = () => AbortSignal.timeout(10_000);

describe('Gateway routing', () => {
  const servers: HttpServer[] = [];
  let gateway: Gateway;
  const alice = clientOf('alice', 'red');
  const bob = clientOf('bob', 'blue');
  /** While set, the gateway's way out reports that the audit log cannot be written. */
  let auditDown = false;

  beforeAll(async () => {
    const alpha = await listen('alpha', 5, 2);
    const beta = await listen('beta', 2, 10);
    servers.push(alpha.http, beta.http);
    const server = (url: string) => ({
      url,
      protocol: '2025-11-25',
      tools: ['*'],
      prompts: ['*'],
      resources: ['*'],
      allow: { elicitation: true },
    });
    const config = parseConfig({
      audit: false,
      lock: { required: false },
      pageSize: 3,
      servers: { alpha: server(alpha.url), beta: server(beta.url) },
    });
    const open = createOutbound();
    gateway = new Gateway(config, {
      outbound: {
        commit: () => (auditDown ? new AuditError('AUDIT_APPEND_FAILED', 'EIO') : open.commit()),
      },
    });
    gateway.attach(alice.session);
    gateway.attach(bob.session);
    expect(await gateway.start()).toEqual({ ready: ['alpha', 'beta'], failed: [] });
  });
  afterAll(async () => {
    await gateway.stop();
    for (const http of servers) http.close();
  });

  const call = (who: ReturnType<typeof clientOf>, method: string, params: Params) =>
    gateway.request(who.session, who.channel, method, params, signal());
  const textOf = (result: Result) => (result['content'] as Array<{ text: string }>)[0]?.text;

  describe('when a client names an item', () => {
    it('[NS-1] routes each prefixed name to its own server, with the server-local name', async () => {
      expect(textOf(await call(alice, 'tools/call', { name: 'alpha__whoami' }))).toBe(
        'alpha:whoami',
      );
      expect(textOf(await call(alice, 'tools/call', { name: 'beta__whoami' }))).toBe('beta:whoami');
      const prompt = await call(alice, 'prompts/get', { name: 'beta__greet' });
      expect(prompt['messages']).toMatchObject([{ content: { text: 'hello from beta' } }]);
    });

    it('[NS-1] routes a namespaced URI to its server and gives the result back namespaced', async () => {
      const read = await call(alice, 'resources/read', { uri: 'alpha+file:///alpha.txt' });
      expect(read['contents']).toEqual([{ uri: 'alpha+file:///alpha.txt', text: 'read by alpha' }]);
    });

    it('[NS-1] refuses an unknown prefix, a name without one and a name that is no string, with stable codes', async () => {
      await expect(call(alice, 'tools/call', { name: 'gamma__whoami' })).rejects.toMatchObject({
        code: 'ROUTE_UNKNOWN_SERVER',
      });
      await expect(call(alice, 'tools/call', { name: 'whoami' })).rejects.toMatchObject({
        code: 'ROUTE_BAD_NAME',
      });
      await expect(call(alice, 'tools/call', { name: 42 })).rejects.toMatchObject({
        code: 'ROUTE_BAD_NAME',
      });
      await expect(
        call(alice, 'tools/frobnicate', { name: 'alpha__whoami' }),
      ).rejects.toMatchObject({ code: 'ROUTE_BAD_NAME' });
    });
  });

  describe('when a client lists', () => {
    it('fans out to every server, follows each server’s pages, and pages the whole in its own cursors', async () => {
      const names: string[] = [];
      let cursor: unknown;
      let pages = 0;
      do {
        const page = await gateway.list(alice.session, 'tools/list', cursor, signal());
        names.push(...(page['tools'] as Array<{ name: string }>).map((t) => t.name));
        expect((page['tools'] as unknown[]).length).toBeLessThanOrEqual(3);
        cursor = page['nextCursor'];
        pages++;
      } while (cursor !== undefined);
      expect(names.sort()).toEqual(
        ['alpha__ask', 'alpha__tool2', 'alpha__tool3', 'alpha__tool4', 'alpha__whoami']
          .concat(['beta__ask', 'beta__whoami'])
          .sort(),
      );
      expect(pages).toBe(3);
    });

    it('namespaces prompts and resources of every server', async () => {
      const prompts = await gateway.list(alice.session, 'prompts/list', undefined, signal());
      expect(prompts['prompts']).toEqual([{ name: 'alpha__greet' }, { name: 'beta__greet' }]);
      const resources = await gateway.list(alice.session, 'resources/list', undefined, signal());
      expect((resources['resources'] as Array<{ uri: string }>).map((r) => r.uri)).toEqual([
        'alpha+file:///alpha.txt',
        'beta+file:///beta.txt',
      ]);
    });

    it('refuses a cursor it did not make, one of another session and one of another list, with ROUTE_BAD_CURSOR', async () => {
      const first = await gateway.list(alice.session, 'tools/list', undefined, signal());
      const cursor = first['nextCursor'];
      expect(typeof cursor).toBe('string');
      const refused = { code: 'ROUTE_BAD_CURSOR' };
      await expect(
        gateway.list(alice.session, 'tools/list', 'not-a-cursor', signal()),
      ).rejects.toMatchObject(refused);
      await expect(gateway.list(bob.session, 'tools/list', cursor, signal())).rejects.toMatchObject(
        refused,
      );
      await expect(
        gateway.list(alice.session, 'prompts/list', cursor, signal()),
      ).rejects.toMatchObject(refused);
      const second = await gateway.list(alice.session, 'tools/list', cursor, signal());
      expect(second['tools']).toHaveLength(3);
    });
  });

  describe('when the audit log cannot be written', () => {
    it('[AUD-2] sends no call to an upstream: the way out the gateway was built with refuses it', async () => {
      served.length = 0;
      auditDown = true;
      try {
        await expect(call(alice, 'tools/call', { name: 'beta__whoami' })).rejects.toMatchObject({
          code: 'AUDIT_APPEND_FAILED',
        });
      } finally {
        auditDown = false;
      }
      expect(served).toEqual([]);
      expect(textOf(await call(alice, 'tools/call', { name: 'beta__whoami' }))).toBe('beta:whoami');
      expect(served).toEqual(['beta:whoami']);
    });
  });

  describe('when a server asks the client something during a call', () => {
    it('sends the request to the session whose call caused it, never to another', async () => {
      alice.asked.length = 0;
      bob.asked.length = 0;
      const [fromAlice, fromBob] = await Promise.all([
        call(alice, 'tools/call', { name: 'alpha__ask' }),
        call(bob, 'tools/call', { name: 'beta__ask' }),
      ]);
      expect(textOf(fromAlice)).toBe('alpha heard {"colour":"red"}');
      expect(textOf(fromBob)).toBe('beta heard {"colour":"blue"}');
      expect(alice.asked).toEqual([expect.objectContaining({ method: 'elicitation/create' })]);
      expect(bob.asked).toEqual([expect.objectContaining({ method: 'elicitation/create' })]);
    });

    it('refuses a request it cannot attribute to one caller, and sends it to no client', async () => {
      alice.asked.length = 0;
      bob.asked.length = 0;
      // Both sessions have a call in flight on alpha, and the SDK server sends its elicitation on its
      // standalone GET stream, not in the response to either call: nothing says whose it is, so it
      // fails rather than reach the wrong client.
      const outcomes = await Promise.allSettled([
        call(alice, 'tools/call', { name: 'alpha__ask' }),
        call(bob, 'tools/call', { name: 'alpha__ask' }),
      ]);
      for (const outcome of outcomes)
        expect(outcome).toMatchObject({
          status: 'rejected',
          reason: { code: 'UPSTREAM_ERROR', message: 'no client to send elicitation/create to' },
        });
      expect([...alice.asked, ...bob.asked]).toEqual([]);
    });
  });
});
