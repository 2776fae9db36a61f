import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JSON_HEADERS,
  dataCode,
  messagesOf,
  openLegacySession,
  raw,
  recording,
  root,
  startServe,
  tempDir,
  type ServeProcess,
} from './gateway-process.js';

/**
 * Property tests: hostile input at BOTH fronts (stdio `toolgate run`, HTTP `toolgate serve`) in
 * front of a recording upstream. Every payload carries MARKER; the upstream's record must never
 * contain it, the gateway must keep answering, and each refusal must carry a stable data.code.
 */
const MAX_BYTES = 32 * 1024;
const MAX_DEPTH = 24;
const MARKER = `fuzz-marker-${randomUUID()}`;
const RUNS = 60;

type Message = Record<string, unknown>;
type Id = string | number;

/** One hostile frame and the refusal it must get (`id` when the frame's id is recoverable). */
interface Case {
  readonly kind: string;
  readonly bytes: Buffer;
  readonly code: string;
  readonly rpc?: number;
  readonly id?: Id;
}

const callText = (id: Id, name = 'rec__echo', extra = '') =>
  `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"tools/call","params":{"name":"${name}","arguments":{"text":"${MARKER}"${extra}}}}`;

const numericId = fc.integer({ min: 1, max: 2 ** 40 });
const anyId = fc.oneof(numericId, fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/));

const truncated = fc.tuple(anyId, fc.nat()).map(([id, cut]): Case => {
  const text = callText(id);
  return {
    kind: 'truncated',
    bytes: Buffer.from(text.slice(0, 1 + (cut % (text.length - 1)))),
    code: 'FRAME_PARSE_ERROR',
    rpc: -32700,
  };
});

const invalidUtf8 = fc
  .tuple(
    anyId,
    fc.constantFrom(
      [0xff],
      [0xc3, 0x28],
      [0xed, 0xa0, 0x80],
      [0xf8, 0x88, 0x80, 0x80, 0x80],
      [0xe2, 0x82],
      [0xc0, 0xaf],
    ),
  )
  .map(([id, bad]): Case => {
    const [head, tail] = callText(id).split(MARKER) as [string, string];
    return {
      kind: 'utf8',
      bytes: Buffer.concat([Buffer.from(head + MARKER), Buffer.from(bad), Buffer.from(tail)]),
      code: 'FRAME_INVALID_UTF8',
    };
  });

const MUTATIONS: ReadonlyArray<(m: Message) => void> = [
  (m) => (m['jsonrpc'] = '1.0'),
  (m) => delete m['jsonrpc'],
  (m) => (m['method'] = 42),
  (m) => (m['method'] = ''),
  (m) => (m['method'] = 'x'.repeat(300)),
  (m) => (m['params'] = [MARKER]),
  (m) => (m['params'] = MARKER),
  (m) => (m['params'] = null),
];
const badEnvelope = fc
  .tuple(anyId, fc.integer({ min: 0, max: MUTATIONS.length - 1 }))
  .map(([id, i]): Case => {
    const message = JSON.parse(callText(id)) as Message;
    MUTATIONS[i]?.(message);
    return {
      kind: 'envelope',
      bytes: Buffer.from(JSON.stringify(message)),
      code: 'FRAME_INVALID_JSONRPC',
      rpc: -32600,
      id,
    };
  });

const nonObject = fc
  .oneof(
    fc.integer(),
    fc.string({ maxLength: 40 }).map((s) => MARKER + s),
    fc.constant(null),
    fc.boolean(),
  )
  .map((v): Case => ({
    kind: 'non-object',
    bytes: Buffer.from(JSON.stringify(v)),
    code: 'FRAME_INVALID_JSONRPC',
    rpc: -32600,
  }));

const batch = fc.array(anyId, { minLength: 1, maxLength: 5 }).map((ids): Case => ({
  kind: 'batch',
  bytes: Buffer.from(`[${ids.map((id) => callText(id)).join(',')}]`),
  code: 'LIMIT_BATCH_REJECTED',
  rpc: -32600,
}));

const deep = fc
  .tuple(numericId, fc.integer({ min: MAX_DEPTH + 1, max: 4000 }), fc.boolean())
  .map(([id, depth, arrays]): Case => {
    const [open, close] = arrays ? ['[', ']'] : ['{"a":', '}'];
    const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
    return {
      kind: 'deep',
      bytes: Buffer.from(callText(id, 'rec__echo', `,"x":${nested}`)),
      code: 'LIMIT_TOO_DEEP',
      rpc: -32600,
      id,
    };
  });

const oversized = fc
  .tuple(numericId, fc.integer({ min: 1, max: 2 * MAX_BYTES }))
  .map(([id, extra]): Case => ({
    kind: 'oversized',
    bytes: Buffer.from(callText(id, 'rec__echo', `,"pad":"${'p'.repeat(MAX_BYTES + extra)}"`)),
    code: 'LIMIT_MESSAGE_TOO_LARGE',
    id,
  }));

const unknownMethod = fc
  .tuple(anyId, fc.stringMatching(/^[a-z]{1,12}\/[a-z_]{1,12}$/))
  .map(([id, method]): Case => ({
    kind: 'unknown-method',
    bytes: Buffer.from(
      JSON.stringify({ jsonrpc: '2.0', id, method: `fuzz/${method}`, params: { text: MARKER } }),
    ),
    code: '',
    rpc: -32601,
    id,
  }));

const denied = anyId.map((id): Case => ({
  kind: 'denied',
  bytes: Buffer.from(callText(id, 'rec__secret')),
  code: 'POLICY_TOOL_DENIED',
  rpc: -32003,
  id,
}));

const hostile = fc.oneof(
  truncated,
  invalidUtf8,
  badEnvelope,
  nonObject,
  batch,
  deep,
  oversized,
  unknownMethod,
  denied,
);

const config = (recordFile: string) => ({
  limits: { maxMessageBytes: MAX_BYTES, maxDepth: MAX_DEPTH },
  servers: { rec: { ...recording(recordFile), tools: ['echo'] } },
});

const newRecordFile = (): string => {
  const file = join(tempDir(), 'record.jsonl');
  writeFileSync(file, '');
  chmodSync(file, 0o666); // the sandboxed recorder runs as nobody when the tests run as root
  return file;
};

/** The front's answer must refuse with the case's code and, when recoverable, its id. */
const expectRefusal = (answer: Message | undefined, c: Case, code = c.code): void => {
  expect(answer, `no answer to ${c.kind}`).toBeDefined();
  expect(answer?.['result']).toBeUndefined();
  if (code !== '') expect(dataCode(answer)).toBe(code);
  if (c.rpc !== undefined && code === c.code)
    expect((answer?.['error'] as { code?: unknown }).code).toBe(c.rpc);
  expect(answer?.['id']).toEqual(c.id ?? null);
};

/** `toolgate run` as a child: raw bytes in, parsed JSON-RPC lines out. */
class StdioGateway {
  readonly messages: Message[] = [];
  private readonly proc: ChildProcessWithoutNullStreams;
  private buffer = '';
  private waiters: Array<() => void> = [];
  private seq = 0;

  constructor(configFile: string) {
    this.proc = spawn('node', [
      join(root, 'bin/toolgate.js'),
      'run',
      '--no-lock',
      '--config',
      configFile,
    ]);
    this.proc.stderr.resume();
    this.proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) !== -1) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        if (line.trim()) this.messages.push(JSON.parse(line) as Message);
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.proc.once('exit', () => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  write(bytes: Buffer | string): void {
    this.proc.stdin.write(Buffer.concat([Buffer.from(bytes), Buffer.from('\n')]));
  }

  /** Resolves with the first matching message; woken by each message and by the exit, failing at the deadline. */
  async waitFor(match: (m: Message) => boolean, from = 0, timeoutMs = 10_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0 || !this.alive) throw new Error(`no matching message (alive: ${this.alive})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async request(method: string, params: Message = {}): Promise<Message> {
    const id = `probe-${++this.seq}`;
    this.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    return this.waitFor((m) => m['id'] === id);
  }

  async stop(): Promise<void> {
    this.proc.stdin.end();
    if (this.alive) await new Promise((resolve) => this.proc.once('exit', resolve));
  }
}

describe('when hostile frames hit the stdio front', () => {
  let gw: StdioGateway;
  let recordFile: string;

  beforeAll(async () => {
    recordFile = newRecordFile();
    const file = join(tempDir(), 'toolgate.json');
    writeFileSync(file, JSON.stringify(config(recordFile)));
    gw = new StdioGateway(file);
    const init = await gw.request('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'fuzz', version: '1' },
    });
    expect(init['result']).toBeDefined();
    gw.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  });
  afterAll(async () => gw?.stop());

  const expectHealthy = async () => {
    expect(gw.alive).toBe(true);
    expect((await gw.request('ping'))['result']).toEqual({});
    const list = (await gw.request('tools/list'))['result'] as { tools: Array<{ name: string }> };
    expect(list.tools.map((t) => t.name)).toEqual(['rec__echo']);
    expect(readFileSync(recordFile, 'utf8')).not.toContain(MARKER);
  };

  it('[FRM-1] [FRM-2] [LIM-1] [LIM-2] refuses each hostile frame with a stable code and forwards nothing', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, async (c) => {
        const from = gw.messages.length;
        gw.write(c.bytes);
        const sentinel = await gw.request('ping');
        const answer =
          c.id !== undefined
            ? await gw.waitFor((m) => m['id'] === c.id && 'error' in m, from)
            : gw.messages
                .slice(from, gw.messages.indexOf(sentinel))
                .find((m) => m['id'] === null && dataCode(m) === c.code);
        expectRefusal(answer, c);
      }),
      { numRuns: RUNS },
    );
    await expectHealthy();
  });

  it('[FRM-1] survives duplicate ids: every copy is answered, by id', async () => {
    await fc.assert(
      fc.asyncProperty(anyId, fc.integer({ min: 2, max: 5 }), async (id, copies) => {
        const from = gw.messages.length;
        const text = `dup-${randomUUID()}`;
        for (let i = 0; i < copies; i++)
          gw.write(
            JSON.stringify({
              jsonrpc: '2.0',
              id,
              method: 'tools/call',
              params: { name: 'rec__echo', arguments: { text } },
            }),
          );
        await gw.waitFor((m) => m['id'] === id, from);
        await gw.request('ping');
        for (const m of gw.messages.slice(from).filter((m) => m['id'] === id))
          expect(
            'result' in m ||
              typeof (m['error'] as { code?: unknown } | undefined)?.code === 'number',
          ).toBe(true);
      }),
      { numRuns: 20 },
    );
    await expectHealthy();
  });

  it('[FRM-1] survives a bounded flood of garbage and pings, answering every one', async () => {
    const from = gw.messages.length;
    const lines = fc.sample(
      fc.oneof(
        hostile.filter((c) => c.kind === 'truncated' || c.kind === 'non-object'),
        fc.constant(undefined),
      ),
      400,
    );
    const pingIds = lines.flatMap((c, i) => (c === undefined ? [`flood-${i}`] : []));
    gw.write(
      Buffer.concat(
        lines.map((c, i) =>
          Buffer.from(
            (c
              ? c.bytes.toString()
              : JSON.stringify({ jsonrpc: '2.0', id: `flood-${i}`, method: 'ping' })) + '\n',
          ),
        ),
      ),
    );
    await gw.waitFor((m) => m['id'] === pingIds.at(-1), from, 20_000);
    await gw.request('ping');
    const answered = new Set(gw.messages.slice(from).map((m) => m['id']));
    expect(pingIds.filter((id) => !answered.has(id))).toEqual([]);
    const refusals = gw.messages.slice(from).filter((m) => m['id'] === null);
    expect(refusals.length).toBe(lines.length - pingIds.length);
    await expectHealthy();
  });
});

describe('when hostile requests hit the HTTP front', () => {
  let gw: ServeProcess;
  let recordFile: string;
  let session: string;
  const headers = () => ({
    ...JSON_HEADERS,
    'mcp-session-id': session,
    'mcp-protocol-version': '2025-11-25',
  });

  beforeAll(async () => {
    recordFile = newRecordFile();
    gw = await startServe(config(recordFile));
    session = await openLegacySession(gw.url);
  });
  afterAll(async () => gw?.stop());

  const expectHealthy = async () => {
    expect(gw.proc.exitCode).toBeNull();
    const ping = await raw(gw.url, {
      headers: headers(),
      body: JSON.stringify({ jsonrpc: '2.0', id: 'p', method: 'ping' }),
    });
    expect(messagesOf(ping)).toEqual([{ jsonrpc: '2.0', id: 'p', result: {} }]);
    const list = await raw(gw.url, {
      headers: headers(),
      body: JSON.stringify({ jsonrpc: '2.0', id: 'l', method: 'tools/list' }),
    });
    expect(
      (messagesOf(list)[0]?.['result'] as { tools: Array<{ name: string }> }).tools.map(
        (t) => t.name,
      ),
    ).toEqual(['rec__echo']);
    expect(readFileSync(recordFile, 'utf8')).not.toContain(MARKER);
  };

  it('[HTTP-3] [FRM-1] [FRM-2] [LIM-1] [LIM-2] refuses each hostile body with a stable code and forwards nothing', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, async (c) => {
        const res = await raw(gw.url, { headers: headers(), body: c.bytes });
        if (c.kind === 'oversized') {
          // Over HTTP the body cap answers first, before any id could be read (HTTP-3).
          expect(res.status).toBe(413);
          const { id: _id, ...withoutId } = c;
          expectRefusal(JSON.parse(res.text) as Message, withoutId, 'HTTP_BODY_TOO_LARGE');
          return;
        }
        const reachedSdk = c.kind === 'unknown-method' || c.kind === 'denied';
        expect(res.status).toBe(reachedSdk ? 200 : 400);
        expectRefusal(
          messagesOf(res).find((m) => 'error' in m),
          c,
        );
      }),
      { numRuns: RUNS },
    );
    await expectHealthy();
  });

  it('[FRM-1] survives duplicate ids in concurrent requests: each is answered', async () => {
    await fc.assert(
      fc.asyncProperty(anyId, fc.integer({ min: 2, max: 4 }), async (id, copies) => {
        const body = JSON.stringify({
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: { name: 'rec__echo', arguments: { text: 'dup' } },
        });
        const answers = await Promise.all(
          Array.from({ length: copies }, () => raw(gw.url, { headers: headers(), body })),
        );
        for (const res of answers) {
          expect(res.status).toBeLessThan(500);
          for (const m of messagesOf(res)) expect(m['id']).toEqual(id);
        }
      }),
      { numRuns: 15 },
    );
    await expectHealthy();
  });

  it('[HTTP-3] [FRM-1] survives a bounded flood of hostile and valid requests', async () => {
    const cases = fc.sample(fc.oneof(hostile, fc.constant(undefined)), 300);
    const results: number[] = [];
    for (let i = 0; i < cases.length; i += 25)
      results.push(
        ...(await Promise.all(
          cases.slice(i, i + 25).map(async (c, j) => {
            const body = c
              ? c.bytes
              : JSON.stringify({ jsonrpc: '2.0', id: `f${i + j}`, method: 'ping' });
            return (await raw(gw.url, { headers: headers(), body })).status;
          }),
        )),
      );
    expect(results.filter((s) => s >= 500 || s === 0)).toEqual([]);
    expect(results.filter((s) => s === 200).length).toBeGreaterThanOrEqual(
      cases.filter((c) => c === undefined).length,
    );
    await expectHealthy();
  });
});
