import { chmodSync, readFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_INFO_META_KEY } from '@modelcontextprotocol/client';
import {
  errorOf,
  eventually,
  fixture,
  npmServer,
  startStdioGateway,
  tempDir,
  type Running,
} from './harness.js';

const everything = (extra: Record<string, unknown> = {}) => ({
  command: process.execPath,
  args: [npmServer('server-everything'), 'stdio'],
  ...extra,
});

describe('through toolgate run, with real servers from npm', () => {
  let gw: Running;
  let files: string;
  beforeAll(async () => {
    files = tempDir();
    writeFileSync(join(files, 'hello.txt'), 'hello from disk');
    gw = await startStdioGateway({
      pageSize: 2,
      servers: {
        everything: everything({
          tools: ['echo', 'get-sum'],
          prompts: ['simple-prompt', 'args-prompt', 'completable-prompt'],
          resources: ['demo://resource/static/document/architecture.md'],
        }),
        memory: {
          command: process.execPath,
          args: [npmServer('server-memory')],
          tools: ['create_entities', 'read_graph'],
          env: { MEMORY_FILE_PATH: join(files, 'memory.jsonl') },
          sandbox: { writable: [files] },
        },
        files: {
          command: process.execPath,
          args: [npmServer('server-filesystem'), files],
          tools: ['read_text_file', 'list_directory'],
          sandbox: { readOnly: [files] },
        },
        quiet: everything(),
      },
    });
  });
  afterAll(() => gw.close());

  it('[ALLOW-1] lists only the allowed tools, namespaced', async () => {
    const names = (await gw.client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual([
      'everything__echo',
      'everything__get-sum',
      'files__list_directory',
      'files__read_text_file',
      'memory__create_entities',
      'memory__read_graph',
    ]);
  });

  it('calls allowed tools on every server', async () => {
    expect(
      await gw.client.callTool({ name: 'everything__echo', arguments: { message: 'hi' } }),
    ).toMatchObject({
      content: [{ type: 'text', text: 'Echo: hi' }],
    });
    expect(
      await gw.client.callTool({ name: 'everything__get-sum', arguments: { a: 2, b: 40 } }),
    ).toMatchObject({
      content: [{ text: expect.stringContaining('42') }],
    });
    const file = await gw.client.callTool({
      name: 'files__read_text_file',
      arguments: { path: join(files, 'hello.txt') },
    });
    expect(JSON.stringify(file.content)).toContain('hello from disk');
    await gw.client.callTool({
      name: 'memory__create_entities',
      arguments: {
        entities: [{ name: 'toolgate', entityType: 'gateway', observations: ['guards MCP'] }],
      },
    });
    const graph = await gw.client.callTool({ name: 'memory__read_graph', arguments: {} });
    expect(JSON.stringify(graph)).toContain('guards MCP');
  });

  it('[ALLOW-2] denies a tool the server has but the config does not allow', async () => {
    const error = await errorOf(gw.client.callTool({ name: 'everything__get-env', arguments: {} }));
    expect(error).toMatchObject({ code: -32003, data: { code: 'POLICY_TOOL_DENIED' } });
    const write = await errorOf(
      gw.client.callTool({
        name: 'files__write_file',
        arguments: { path: join(files, 'x'), content: 'x' },
      }),
    );
    expect(write.data?.code).toBe('POLICY_TOOL_DENIED');
    expect(existsSync(join(files, 'x'))).toBe(false);
  });

  it('[ALLOW-3] a server without an allowlist exposes nothing', async () => {
    const names = (await gw.client.listTools()).tools.map((t) => t.name);
    expect(names.filter((n) => n.startsWith('quiet__'))).toEqual([]);
    const error = await errorOf(
      gw.client.callTool({ name: 'quiet__echo', arguments: { message: 'x' } }),
    );
    expect(error.data?.code).toBe('POLICY_TOOL_DENIED');
    const prompts = await gw.client.listPrompts();
    expect(prompts.prompts.every((p) => !p.name.startsWith('quiet__'))).toBe(true);
  });

  it('[ALLOW-5] allowlists prompts and resources the same way', async () => {
    const prompt = await gw.client.getPrompt({ name: 'everything__simple-prompt' });
    expect(prompt.messages.length).toBeGreaterThan(0);
    const denied = await errorOf(
      gw.client.getPrompt({
        name: 'everything__resource-prompt',
        arguments: { resourceType: 'Text', resourceId: '1' },
      }),
    );
    expect(denied.data?.code).toBe('POLICY_PROMPT_DENIED');
    const resources = (await gw.client.listResources()).resources.map((r) => r.uri);
    expect(resources).toEqual(['everything+demo://resource/static/document/architecture.md']);
    const read = await gw.client.readResource({
      uri: 'everything+demo://resource/static/document/architecture.md',
    });
    expect(read.contents[0]?.uri).toBe(
      'everything+demo://resource/static/document/architecture.md',
    );
    const other = await errorOf(
      gw.client.readResource({ uri: 'everything+demo://resource/static/document/features.md' }),
    );
    expect(other.data?.code).toBe('POLICY_RESOURCE_DENIED');
  });

  it('paginates aggregated lists with its own cursors', async () => {
    const page = (cursor?: string) =>
      gw.client.request({
        method: 'prompts/list',
        params: cursor === undefined ? {} : { cursor },
      }) as Promise<{
        prompts: { name: string }[];
        nextCursor?: string;
      }>;
    const first = await page();
    expect(first.prompts).toHaveLength(2);
    expect(first.nextCursor).toBeTypeOf('string');
    const second = await page(first.nextCursor);
    expect(second.prompts).toHaveLength(1);
    expect(second.nextCursor).toBeUndefined();
    expect([...first.prompts, ...second.prompts].map((p) => p.name).sort()).toEqual([
      'everything__args-prompt',
      'everything__completable-prompt',
      'everything__simple-prompt',
    ]);
    const bad = await errorOf(page('forged'));
    expect(bad).toMatchObject({ code: -32602, data: { code: 'ROUTE_BAD_CURSOR' } });
  });

  it('routes completions to the prompt owner', async () => {
    const result = await gw.client.complete({
      ref: { type: 'ref/prompt', name: 'everything__completable-prompt' },
      argument: { name: 'department', value: 'E' },
    });
    expect(result.completion.values).toContain('Engineering');
  });

  it('[NS-1] refuses names without a known server prefix', async () => {
    expect(
      (await errorOf(gw.client.callTool({ name: 'nobody__echo', arguments: {} }))).data?.code,
    ).toBe('ROUTE_UNKNOWN_SERVER');
    expect((await errorOf(gw.client.callTool({ name: 'echo', arguments: {} }))).data?.code).toBe(
      'ROUTE_BAD_NAME',
    );
  });

  it('answers ping itself', async () => {
    await expect(gw.client.ping()).resolves.toBeDefined();
  });
});

describe('through toolgate run, with a hostile fixture server', () => {
  let gw: Running;
  let log: string;
  const sampled: unknown[] = [];
  beforeAll(async () => {
    const dir = tempDir();
    log = join(dir, 'tricky.log');
    // One log for three servers, each sandboxed as its own uid: the file must be writable by all of them.
    writeFileSync(log, '');
    chmodSync(log, 0o666);
    const tricky = (tools: string[], extra: Record<string, unknown> = {}) => ({
      command: process.execPath,
      args: [fixture('tricky')],
      env: { TRICKY_LOG: log, VISIBLE: 'configured' },
      sandbox: { writable: [dir] },
      tools,
      ...extra,
    });
    gw = await startStdioGateway(
      {
        servers: {
          // Pinned to 2025: push-style server→client requests exist only in that era.
          tricky: tricky(
            [
              'echo',
              'grow',
              'sneaky-not-yet',
              'sample',
              'slow',
              'hang',
              'env',
              'big',
              'deep',
              'log',
            ],
            {
              limits: {
                maxMessageBytes: 1024 * 1024,
                maxDepth: 32,
                callTimeoutMs: 1500,
                maxConcurrentCalls: 2,
              },
              protocol: '2025-11-25',
            },
          ),
          sampler: tricky(['sample'], { allow: { sampling: true }, protocol: '2025-11-25' }),
          crashy: tricky(['crash', 'echo', 'freeze'], {
            restart: { initialDelayMs: 100, maxDelayMs: 200 },
            limits: { callTimeoutMs: 1000 },
          }),
        },
      },
      {
        env: { GATEWAY_SECRET: 'must-not-leak' },
        client: { capabilities: { sampling: {} } },
        setup: (client) =>
          client.setRequestHandler('sampling/createMessage', async (request) => {
            sampled.push(request.params);
            return {
              model: 'test',
              role: 'assistant',
              content: { type: 'text', text: 'hi from the client' },
            };
          }),
      },
    );
  });
  afterAll(() => gw.close());

  const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n') : []);

  it('[ALLOW-2] never forwards a denied call upstream', async () => {
    const error = await errorOf(gw.client.callTool({ name: 'tricky__secret', arguments: {} }));
    expect(error.data?.code).toBe('POLICY_TOOL_DENIED');
    expect(calls()).not.toContain('tools/call secret');
  });

  it('[ALLOW-4] a tool added later with list_changed stays hidden and denied', async () => {
    let changed = 0;
    gw.client.setNotificationHandler('notifications/tools/list_changed', () => {
      changed++;
    });
    await gw.client.callTool({ name: 'tricky__grow', arguments: {} });
    await eventually(() => changed > 0);
    const names = (await gw.client.listTools()).tools.map((t) => t.name);
    expect(names).not.toContain('tricky__sneaky');
    expect(names).toContain('tricky__echo');
    const error = await errorOf(gw.client.callTool({ name: 'tricky__sneaky', arguments: {} }));
    expect(error.data?.code).toBe('POLICY_TOOL_DENIED');
    expect(calls()).not.toContain('tools/call sneaky');
  });

  it('[ALLOW-6] denies sampling unless the server is allowed to ask', async () => {
    const denied = await gw.client
      .callTool({ name: 'tricky__sample', arguments: {} })
      .catch((e: unknown) => e);
    expect(JSON.stringify(denied)).not.toContain('hi from the client');
    expect(sampled).toHaveLength(0);
    const allowed = await gw.client.callTool({ name: 'sampler__sample', arguments: {} });
    expect(JSON.stringify(allowed.content)).toContain('hi from the client');
    expect(sampled).toHaveLength(1);
  });

  it('[ENV-1] gives a stdio server only a minimal environment plus its own variables', async () => {
    const secret = await gw.client.callTool({
      name: 'tricky__env',
      arguments: { name: 'GATEWAY_SECRET' },
    });
    expect(secret.content).toEqual([{ type: 'text', text: 'undefined' }]);
    const own = await gw.client.callTool({ name: 'tricky__env', arguments: { name: 'VISIBLE' } });
    expect(own.content).toEqual([{ type: 'text', text: 'configured' }]);
  });

  it('passes progress through under the client token', async () => {
    const progress: number[] = [];
    const result = await gw.client.callTool(
      { name: 'tricky__slow', arguments: { ms: 150 } },
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(result.content).toEqual([{ type: 'text', text: 'slept' }]);
    expect(progress).toEqual([1, 2, 3]);
  });

  it('passes server log messages through, logger prefixed with the server id', async () => {
    const logs: unknown[] = [];
    gw.client.setNotificationHandler('notifications/message', (n) => {
      logs.push(n.params);
    });
    await gw.client.callTool({ name: 'tricky__log', arguments: {} });
    await eventually(() => logs.length > 0);
    expect(logs[0]).toMatchObject({
      level: 'info',
      logger: 'tricky/fixture',
      data: 'logged through',
    });
  });

  it('passes cancellation upstream', async () => {
    const controller = new AbortController();
    const call = gw.client.callTool(
      { name: 'tricky__hang', arguments: {} },
      { signal: controller.signal },
    );
    await eventually(() => calls().includes('tools/call hang'));
    controller.abort();
    await expect(call).rejects.toThrow();
    await eventually(() => calls().includes('cancelled hang'));
  });

  it('[LIM-1] refuses an oversized upstream response and keeps serving', async () => {
    const error = await errorOf(
      gw.client.callTool({ name: 'tricky__big', arguments: { bytes: 2 * 1024 * 1024 } }),
    );
    expect(error.data?.code).toBe('LIMIT_MESSAGE_TOO_LARGE');
    expect(
      await gw.client.callTool({ name: 'tricky__echo', arguments: { text: 'still here' } }),
    ).toMatchObject({
      content: [{ text: 'still here' }],
    });
  });

  it('[LIM-2] refuses a too-deep upstream response', async () => {
    const error = await errorOf(
      gw.client.callTool({ name: 'tricky__deep', arguments: { depth: 100 } }),
    );
    expect(error.data?.code).toBe('LIMIT_TOO_DEEP');
    const ok = await gw.client.callTool({ name: 'tricky__deep', arguments: { depth: 5 } });
    expect(ok.structuredContent).toBeDefined();
  });

  it('[LIM-3] times out a call that never answers', async () => {
    const error = await errorOf(gw.client.callTool({ name: 'tricky__hang', arguments: {} }));
    expect(error).toMatchObject({ code: -32001, data: { code: 'LIMIT_TIMEOUT' } });
  });

  it('[LIM-4] refuses calls over the concurrency limit', async () => {
    const results = await Promise.allSettled(
      [0, 1, 2].map(() => gw.client.callTool({ name: 'tricky__slow', arguments: { ms: 300 } })),
    );
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({
      data: { code: 'LIMIT_CONCURRENCY' },
    });
  });

  it('[LIM-5] survives a crashing upstream and restarts it with backoff', async () => {
    const error = await errorOf(gw.client.callTool({ name: 'crashy__crash', arguments: {} }));
    expect(error.data?.code).toMatch(/^UPSTREAM_(CRASHED|UNAVAILABLE)$/);
    expect(
      await gw.client.callTool({ name: 'tricky__echo', arguments: { text: 'others serve' } }),
    ).toMatchObject({
      content: [{ text: 'others serve' }],
    });
    await eventually(async () => {
      const r = await gw.client
        .callTool({ name: 'crashy__echo', arguments: { text: 'back' } })
        .catch(() => undefined);
      return JSON.stringify(r?.content ?? '').includes('back');
    });
    expect(gw.stderr.some((l) => l.includes('"restarting"'))).toBe(true);
  });

  it('[LIM-3] restarts a server that stops answering altogether', async () => {
    const error = await errorOf(gw.client.callTool({ name: 'crashy__freeze', arguments: {} }));
    expect(error.data?.code).toBe('LIMIT_TIMEOUT');
    await eventually(() => gw.stderr.some((l) => l.includes('"hung"')));
    await eventually(async () => {
      const r = await gw.client
        .callTool({ name: 'crashy__echo', arguments: { text: 'revived' } })
        .catch(() => undefined);
      return JSON.stringify(r?.content ?? '').includes('revived');
    }, 15_000);
  });
});

describe('protocol eras', () => {
  it('serves a 2026-07-28 client in front of 2025 and 2026 servers', async () => {
    const gw = await startStdioGateway(
      {
        servers: {
          old: {
            command: process.execPath,
            args: [npmServer('server-everything'), 'stdio'],
            tools: ['echo'],
          },
          modern: {
            command: process.execPath,
            args: [fixture('tricky')],
            tools: ['echo'],
            protocol: '2026-07-28',
          },
        },
      },
      { client: { versionNegotiation: { mode: { pin: '2026-07-28' } } } },
    );
    try {
      expect(gw.client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      expect((await gw.client.listTools()).tools.map((t) => t.name).sort()).toEqual([
        'modern__echo',
        'old__echo',
      ]);
      expect(
        await gw.client.callTool({ name: 'old__echo', arguments: { message: 'a' } }),
      ).toMatchObject({ content: [{ text: 'Echo: a' }] });
      expect(
        await gw.client.callTool({ name: 'modern__echo', arguments: { text: 'b' } }),
      ).toMatchObject({ content: [{ text: 'b' }] });
      expect(gw.stderr.join('\n')).toContain('"era":"2026-07-28"');
    } finally {
      await gw.close();
    }
  });

  it('[NS-2] a 2026-07-28 client sees toolgate as the server of every result, never the upstream', async () => {
    const gw = await startStdioGateway(
      {
        servers: {
          old: {
            command: process.execPath,
            args: [npmServer('server-everything'), 'stdio'],
            tools: ['echo'],
          },
          modern: {
            command: process.execPath,
            args: [fixture('echo-server')],
            tools: ['echo'],
            protocol: '2026-07-28',
          },
        },
      },
      { client: { versionNegotiation: { mode: { pin: '2026-07-28' } } } },
    );
    try {
      for (const name of ['modern__echo', 'old__echo']) {
        // A raw request: the SDK client's callTool may fold `_meta` away; the wire result is what is checked.
        const result = await gw.client.request({
          method: 'tools/call',
          params: { name, arguments: { text: 'x', message: 'x' } },
        });
        expect(result._meta?.[SERVER_INFO_META_KEY], name).toMatchObject({ name: 'toolgate' });
      }
    } finally {
      await gw.close();
    }
  });

  it('serves a 2025 client in front of a 2026-07-28 server', async () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const gw = await startStdioGateway({
      servers: {
        modern: {
          command: process.execPath,
          args: [fixture('tricky')],
          tools: ['echo'],
          protocol: '2026-07-28',
        },
      },
    });
    try {
      expect(gw.client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
      expect(
        await gw.client.callTool({ name: 'modern__echo', arguments: { text: 'c' } }),
      ).toMatchObject({ content: [{ text: 'c' }] });
    } finally {
      await gw.close();
    }
  });

  it('[NS-2] a 2025 client in front of a 2026-07-28 server gets no serverInfo of the upstream in results', async () => {
    const gw = await startStdioGateway({
      servers: {
        modern: {
          command: process.execPath,
          args: [fixture('echo-server')],
          tools: ['echo'],
          protocol: '2026-07-28',
        },
      },
    });
    try {
      // The fixture stamps `_meta["io.modelcontextprotocol/serverInfo"]` ({ name: "echo" }) on its results.
      const result = await gw.client.request({
        method: 'tools/call',
        params: { name: 'modern__echo', arguments: { text: 'd' } },
      });
      expect(result).toMatchObject({ content: [{ text: 'd' }] });
      expect(result._meta?.[SERVER_INFO_META_KEY]).toBeUndefined();
    } finally {
      await gw.close();
    }
  });
});
