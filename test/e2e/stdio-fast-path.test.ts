import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, eventually, fixture, tempDir } from './harness.js';

type Wire = {
  jsonrpc: '2.0';
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: { code?: string } };
};

/**
 * A raw JSON-RPC client on `toolgate run`'s stdio, so the test sees the exact bytes the gateway
 * answers with. A plain `tools/call` (`name` and `arguments` only) takes the stdio front's fast path;
 * the same call with `_meta: {}` goes through the SDK `Server`. Both must answer alike.
 */
const startRaw = (configPath: string) => {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [BIN, 'run', '--no-lock', '--config', configPath],
    {
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
    },
  );
  const waiting = new Map<unknown, (message: Wire) => void>();
  const seen: Wire[] = [];
  let buffer = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
      const message = JSON.parse(buffer.slice(0, nl)) as Wire;
      buffer = buffer.slice(nl + 1);
      seen.push(message);
      waiting.get(message.id)?.(message);
      waiting.delete(message.id);
    }
  });
  child.stderr.on('data', () => undefined);
  let next = 1;
  const send = (message: Record<string, unknown>) =>
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', ...message }) + '\n');
  const request = (method: string, params: Record<string, unknown>): Promise<Wire> => {
    const id = next++;
    const answer = new Promise<Wire>((resolve) => waiting.set(id, resolve));
    send({ id, method, params });
    return answer;
  };
  return { child, send, request, seen, nextId: () => next++ };
};

/** The answer without its id: what must be the same on both paths. */
const body = ({ id: _id, ...rest }: Wire) => rest;

describe('the stdio front fast path answers as the SDK path does', () => {
  let raw: ReturnType<typeof startRaw>;
  let log: string;
  beforeAll(async () => {
    const dir = tempDir();
    log = join(dir, 'tricky.log');
    const configPath = join(dir, 'toolgate.yaml');
    writeFileSync(
      configPath,
      JSON.stringify({
        servers: {
          tricky: {
            command: process.execPath,
            args: [fixture('tricky')],
            env: { TRICKY_LOG: log },
            sandbox: { writable: [dir] },
            tools: ['echo', 'deep', 'hang'],
          },
          bad: { command: process.execPath, args: [fixture('bad-result')], tools: ['bad'] },
        },
      }),
    );
    raw = startRaw(configPath);
    const init = await raw.request('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'raw-test', version: '1.0.0' },
    });
    expect(init.result).toMatchObject({ protocolVersion: '2025-11-25' });
    raw.send({ method: 'notifications/initialized' });
    // Both upstreams listed (started) before the calls.
    await eventually(async () => {
      const list = await raw.request('tools/list', {});
      const names = ((list.result as { tools?: Array<{ name: string }> }).tools ?? []).map(
        (t) => t.name,
      );
      return names.includes('tricky__echo') && names.includes('bad__bad');
    }, 20_000);
  });
  afterAll(() => {
    raw.child.kill('SIGTERM');
  });

  const both = async (params: Record<string, unknown>) => {
    const fast = await raw.request('tools/call', params);
    const sdk = await raw.request('tools/call', { ...params, _meta: {} });
    return { fast, sdk };
  };

  it('an allowed call: the same result, byte for byte', async () => {
    const { fast, sdk } = await both({ name: 'tricky__echo', arguments: { text: 'hello' } });
    expect(fast.result).toMatchObject({ content: [{ type: 'text', text: 'hello' }] });
    expect(JSON.stringify(body(fast))).toBe(JSON.stringify(body(sdk)));
    const deep = await both({ name: 'tricky__deep', arguments: { depth: 3 } });
    expect(deep.fast.result).toMatchObject({
      structuredContent: { v: { d: { d: { d: 'bottom' } } } },
    });
    expect(JSON.stringify(body(deep.fast))).toBe(JSON.stringify(body(deep.sdk)));
  });

  it('[ALLOW-2] [NS-1] a denied tool and an unknown server: the same error codes and messages', async () => {
    const denied = await both({ name: 'tricky__secret', arguments: {} });
    expect(denied.fast.error?.data?.code).toBe('POLICY_TOOL_DENIED');
    expect(body(denied.fast)).toEqual(body(denied.sdk));
    const unknown = await both({ name: 'nobody__echo', arguments: {} });
    expect(unknown.fast.error?.data?.code).toBe('ROUTE_UNKNOWN_SERVER');
    expect(body(unknown.fast)).toEqual(body(unknown.sdk));
  });

  it('malformed params: the SDK answers both (the fast path declines what its codec refuses)', async () => {
    const { fast, sdk } = await both({ name: 'tricky__echo', arguments: 'not an object' });
    expect(fast.error?.code).toBe(-32602);
    expect(body(fast)).toEqual(body(sdk));
  });

  it('an upstream result that breaks the protocol is refused with UPSTREAM_INVALID_RESPONSE on both paths', async () => {
    const { fast, sdk } = await both({ name: 'bad__bad', arguments: {} });
    expect(fast.error?.data?.code).toBe('UPSTREAM_INVALID_RESPONSE');
    expect(body(fast)).toEqual(body(sdk));
  });

  it('a cancelled fast-path call is cancelled upstream and never answered', async () => {
    const id = raw.nextId();
    raw.send({ id, method: 'tools/call', params: { name: 'tricky__hang', arguments: {} } });
    await eventually(
      () => existsSync(log) && readFileSync(log, 'utf8').includes('tools/call hang'),
    );
    raw.send({ method: 'notifications/cancelled', params: { requestId: id, reason: 'test' } });
    await eventually(() => readFileSync(log, 'utf8').includes('cancelled hang'));
    // Later traffic is answered; the cancelled call is not.
    expect(
      (await raw.request('tools/call', { name: 'tricky__echo', arguments: { text: 'after' } }))
        .result,
    ).toBeDefined();
    expect(raw.seen.some((m) => m.id === id)).toBe(false);
  });
});
