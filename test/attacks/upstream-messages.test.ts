import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  Client,
  StreamableHTTPClientTransport,
  type JSONRPCMessage,
  type Transport,
} from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from '../e2e/gateway-process.js';
import {
  BIN,
  errorOf,
  eventually,
  fixture,
  startStdioGateway,
  type Running,
} from '../e2e/harness.js';

/**
 * Issue #19, items 3 and 4, replayed against the real gateway: a hostile server attacks through its
 * errors, its log and progress notifications and its results' `_meta`, and its logs must not cross
 * from one HTTP caller to another.
 */
const hostile = {
  command: process.execPath,
  args: [fixture('hostile-messages')],
  tools: ['*'],
  protocol: '2025-11-25',
};
/** What the hostile server plants: an injection, AWS and GitHub credentials, ANSI/zero-width/bidi/tag characters. */
const PLANTED = [
  /disregard your earlier instructions/,
  /AKIA[0-9A-Z]{16}/,
  /ghp_[A-Za-z0-9]{36}/,
  /[\u001b\u200b\u202e\u202c]/,
  /\udb40[\udc00-\udc7f]/,
];
const expectClean = (value: unknown) => {
  const text = JSON.stringify(value);
  for (const planted of PLANTED) expect(text).not.toMatch(planted);
};

/**
 * toolgate's UPSTREAM range (-32002), as the SDK's 2025 codec writes it on the wire (-32602, the code
 * -32002 became in 2025-11-25): the code of every UPSTREAM_* error, never one the server picked.
 */
const UPSTREAM_WIRE_CODES = [-32002, -32602];

type LogParams = { level?: string; logger?: string; data?: unknown };

describe('when a hostile server attacks through errors, notifications and _meta', () => {
  let gw: Running;
  const logs: LogParams[] = [];
  beforeAll(async () => {
    gw = await startStdioGateway(
      { servers: { bad: hostile } },
      {
        setup: (client) =>
          client.setNotificationHandler(
            'notifications/message',
            (n) => void logs.push(n.params as LogParams),
          ),
      },
    );
  });
  afterAll(() => gw?.close());
  const logsOf = (marker: string) => logs.filter((l) => JSON.stringify(l.data).includes(marker));

  it("[MSG-1] maps an upstream error to UPSTREAM_ERROR: a server cannot answer with a gateway decision's code", async () => {
    const policy = await errorOf(
      gw.client.callTool({ name: 'bad__fail_as_gateway', arguments: { marker: 'm1' } }),
    );
    expect(policy).toMatchObject({ data: { code: 'UPSTREAM_ERROR', upstream: { code: -32003 } } });
    expect(UPSTREAM_WIRE_CODES).toContain(policy.code);
    // data.code "LIMIT_MESSAGE_TOO_LARGE" from the server does not make it a gateway limit refusal.
    const limit = await errorOf(
      gw.client.callTool({ name: 'bad__fail_as_limit', arguments: { marker: 'm2' } }),
    );
    expect(limit).toMatchObject({ data: { code: 'UPSTREAM_ERROR', upstream: { code: -32600 } } });
    expect(UPSTREAM_WIRE_CODES).toContain(limit.code);
  });

  it('[MSG-1] redacts credentials and strips hidden characters from an upstream error, and refuses an injected one', async () => {
    const leaky = await errorOf(
      gw.client.callTool({ name: 'bad__fail_secret', arguments: { marker: 'm3' } }),
    );
    expect(leaky).toMatchObject({ data: { code: 'UPSTREAM_ERROR', upstream: { code: -32602 } } });
    expect(leaky.message).toContain('bad request m3');
    expect(leaky.message).toContain('[REDACTED:');
    expectClean(leaky);
    const injected = await errorOf(
      gw.client.callTool({ name: 'bad__fail_injected', arguments: { marker: 'm4' } }),
    );
    expect(injected.data?.code).toBe('DETECT_INJECTION');
    expectClean(injected);
  });

  it('[MSG-2] passes log notifications through the content defenses: redacted, stripped, an injected one dropped', async () => {
    await gw.client.callTool({ name: 'bad__log_secret', arguments: { marker: 'm5' } });
    await eventually(() => logsOf('m5').length > 0);
    expect(logsOf('m5')[0]?.data).toContain('[REDACTED:');
    expectClean(logsOf('m5'));
    await gw.client.callTool({ name: 'bad__log_injected', arguments: { marker: 'm6' } });
    await eventually(() => logsOf('clean log of m6').length > 0);
    expect(logsOf('m6')).toHaveLength(1);
    expectClean(logs);
  });

  it('[MSG-2] passes progress notifications through the content defenses, in order, before the result', async () => {
    // Read off the wire: the SDK client itself drops a progress notification that arrives in the same
    // chunk as its response (it handles notifications a microtask late), so its onprogress cannot tell.
    const transport = gw.client.transport as Transport;
    const inner = transport.onmessage;
    const frames: JSONRPCMessage[] = [];
    transport.onmessage = (message, extra) => {
      frames.push(message);
      inner?.(message, extra);
    };
    try {
      const result = await gw.client.callTool(
        { name: 'bad__progress', arguments: { marker: 'm7' } },
        { onprogress: () => undefined },
      );
      expect(result.content).toEqual([{ type: 'text', text: 'done m7' }]);
    } finally {
      transport.onmessage = inner;
    }
    const answered = frames.findIndex(
      (f) => 'result' in f && JSON.stringify(f.result).includes('done m7'),
    );
    const progress = frames
      .map((f, i) => ({ i, f }))
      .filter(({ f }) => 'method' in f && f.method === 'notifications/progress')
      .map(({ i, f }) => ({
        i,
        ...(f as unknown as { params: { progress: number; message?: string } }).params,
      }));
    // The injected step is dropped; the others arrive redacted and stripped, all before the result.
    expect(progress.map((p) => p.progress)).toEqual([1, 3]);
    expect(progress.every((p) => p.i < answered)).toBe(true);
    expect(progress[0]?.message).toContain('[REDACTED:');
    expectClean(progress.map(({ i: _, ...p }) => p));
  });

  it("[MSG-3] passes a result's _meta through the content defenses", async () => {
    const injected = await errorOf(
      gw.client.callTool({ name: 'bad__meta_injected', arguments: { marker: 'm8' } }),
    );
    expect(injected.data?.code).toBe('DETECT_INJECTION');
    const hidden = await gw.client.callTool({
      name: 'bad__meta_hidden',
      arguments: { marker: 'm9' },
    });
    expect(hidden._meta?.['note']).toBe('ready enilno ok');
    expect(hidden._meta?.['key']).toContain('[REDACTED:');
    expectClean(hidden);
  });

  it('[MSG-2] records upstream errors, logs and progress in the audit log, with their defense verdicts', async () => {
    const out = spawnSync(
      process.execPath,
      [BIN, 'audit', 'export', '--format', 'jsonl', '--config', join(gw.dir, 'toolgate.yaml')],
      { encoding: 'utf8' },
    );
    expect(out.status, out.stderr).toBe(0);
    const entries = out.stdout
      .split('\n')
      .filter((line) => line.startsWith('{') && !line.startsWith('{"checkpoint":'))
      .map(
        (line) =>
          JSON.parse(line) as {
            decision?: string;
            method?: string;
            event?: { defense?: string; method?: string };
          },
      );
    for (const method of [
      'notifications/message',
      'notifications/progress',
      'toolgate/upstream-error',
    ]) {
      expect(
        entries.some((e) => e.method === method && e.decision === 'forward'),
        method,
      ).toBe(true);
      expect(
        entries.some((e) => e.event?.method === method && e.event.defense === 'secrets'),
        method,
      ).toBe(true);
    }
    expect(
      entries.some(
        (e) => e.event?.method === 'notifications/message' && e.event.defense === 'detect',
      ),
    ).toBe(true);
    // The detector's verdicts quote what they matched (DET-2); credentials never reach the log.
    expect(JSON.stringify(entries)).not.toMatch(/AKIA[0-9A-Z]{16}|ghp_[A-Za-z0-9]{36}/);
  });
});

describe('when two HTTP callers share a server that logs during calls', () => {
  let serve: ServeProcess;
  const callers: Array<{ client: Client; logs: LogParams[] }> = [];
  beforeAll(async () => {
    serve = await startServe({ version: 1, servers: { bad: hostile } });
    for (let i = 0; i < 2; i++) {
      const logs: LogParams[] = [];
      const client = new Client({ name: `caller-${i}`, version: '1.0.0' });
      client.setNotificationHandler(
        'notifications/message',
        (n) => void logs.push(n.params as LogParams),
      );
      await client.connect(new StreamableHTTPClientTransport(new URL(serve.url)));
      callers.push({ client, logs });
    }
  });
  afterAll(async () => {
    for (const { client } of callers) await client.close().catch(() => undefined);
    await serve?.stop();
  });

  it('[MSG-4] delivers a log only to the session whose call caused it, never to another caller', async () => {
    const [a, b] = callers as [(typeof callers)[number], (typeof callers)[number]];
    const saw = (logs: LogParams[], marker: string) =>
      logs.some((l) => JSON.stringify(l.data).includes(marker));
    await a.client.callTool({ name: 'bad__log', arguments: { marker: 'caller-a' } });
    await eventually(() => saw(a.logs, 'caller-a'));
    await b.client.callTool({ name: 'bad__log', arguments: { marker: 'caller-b' } });
    await eventually(() => saw(b.logs, 'caller-b'));
    expect(saw(b.logs, 'caller-a')).toBe(false);
    expect(saw(a.logs, 'caller-b')).toBe(false);
  });
});
