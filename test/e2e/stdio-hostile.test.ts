import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  errorOf,
  eventually,
  fixture,
  startStdioGateway,
  tempDir,
  type Running,
} from './harness.js';

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
