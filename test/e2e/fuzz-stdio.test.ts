import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anyId,
  config,
  expectRefusal,
  hostile,
  MARKER,
  RUNS,
  type Message,
} from './fuzz-frames.js';
import { dataCode, newRecordFile, root, tempDir } from './gateway-process.js';

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
