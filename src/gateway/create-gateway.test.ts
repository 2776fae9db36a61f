import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, Server } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonl } from '../audit/store-jsonl.js';
import { loadConfig } from '../config/load.js';
import type { ClientChannel } from '../core/interceptor.js';
import { createGateway } from './create-gateway.js';
import type { FrontSession } from './sessions.js';

/** The composition root, in process, against a real MCP server over HTTP on 127.0.0.1. */

const echo = (): Server => {
  const server = new Server({ name: 'echo', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => ({
    tools: [{ name: 'echo', inputSchema: { type: 'object' } }],
  }));
  server.setRequestHandler('tools/call', (request) => ({
    content: [{ type: 'text', text: JSON.stringify(request.params.arguments ?? {}) }],
  }));
  return server;
};

const session: FrontSession = {
  id: 'one',
  principal: { id: 'agent', transport: 'http' },
  era: 'legacy',
  notify: () => Promise.resolve(),
  subscriptions: new Set(),
};
const channel: ClientChannel = {
  sessionId: 'one',
  era: 'legacy',
  canElicit: () => false,
  request: () => Promise.reject(new Error('no server-to-client requests here')),
  notify: () => Promise.resolve(),
};

describe('createGateway', () => {
  const http = createServer((req, res) => {
    void toNodeHandler(createMcpHandler(() => echo()))(
      req as typeof req & { method: string; url: string },
      res,
    );
  });
  let url: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  });
  afterAll(() => void http.close());

  const configIn = (dir: string, doc: Record<string, unknown>) => {
    const path = join(dir, 'toolgate.yaml');
    writeFileSync(path, JSON.stringify(doc));
    return path;
  };
  const entries = (dir: string) =>
    parseJsonl(readFileSync(join(dir, 'toolgate-audit.jsonl'), 'utf8')).entries.map(
      (e) => JSON.parse(e.body) as { decision: string; method?: string; event?: { kind?: string } },
    );

  it('[AUD-1] wires the audit log into the chain: the call is recorded, and the shutdown with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-root-'));
    const configPath = configIn(dir, {
      lock: { required: false },
      servers: { echo: { url, tools: ['echo'] } },
    });
    const runtime = await createGateway(await loadConfig(configPath), { configPath });
    expect(await runtime.start()).toEqual({ ready: ['echo'], failed: [] });
    const result = await runtime.gateway.request(
      session,
      channel,
      'tools/call',
      { name: 'echo__echo', arguments: { text: 'hi' } },
      AbortSignal.timeout(10_000),
    );
    expect(result['content']).toEqual([{ type: 'text', text: '{"text":"hi"}' }]);
    await runtime.shutdown('test');
    const logged = entries(dir);
    expect(logged.map((e) => e.event?.kind ?? `${e.decision} ${e.method ?? ''}`)).toEqual(
      expect.arrayContaining([
        'config-load',
        'forward tools/call',
        'result tools/call',
        'shutdown',
      ]),
    );
    expect(logged.at(-1)?.event?.kind).toBe('shutdown');
  });

  it('[OPS-1] reloads a valid config and keeps the running one when the new one is invalid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-root-'));
    const doc = { audit: false, lock: { required: false }, servers: { echo: { url, tools: [] } } };
    const configPath = configIn(dir, doc);
    const runtime = await createGateway(await loadConfig(configPath), { configPath });
    await runtime.start();
    const call = () =>
      runtime.gateway.request(
        session,
        channel,
        'tools/call',
        { name: 'echo__echo', arguments: {} },
        AbortSignal.timeout(10_000),
      );
    await expect(call()).rejects.toMatchObject({ code: 'POLICY_TOOL_DENIED' });
    configIn(dir, { ...doc, servers: { echo: { url, tools: ['echo'] } } });
    expect(await runtime.reload()).toBe(true);
    expect((await call())['content']).toEqual([{ type: 'text', text: '{}' }]);
    writeFileSync(configPath, '{"servers": ');
    expect(await runtime.reload()).toBe(false);
    expect(runtime.gateway.config.servers['echo']?.tools).toEqual(['echo']);
    await runtime.shutdown('test');
  });

  it('[PIN-8] refuses to start without a lock when the config requires one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-root-'));
    const configPath = configIn(dir, { audit: false, servers: { echo: { url, tools: ['echo'] } } });
    await expect(createGateway(await loadConfig(configPath), { configPath })).rejects.toMatchObject(
      { code: 'LOCK_MISSING' },
    );
  });
});
