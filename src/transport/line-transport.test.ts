import { PassThrough, Writable } from 'node:stream';
import fc from 'fast-check';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import type { Outbound } from '../core/outbound.js';
import { LineTransport, type Rejected } from './line-transport.js';

const LIMITS = { maxMessageBytes: 2048, maxDepth: 16 };
/** A way out with nothing pending: every frame may leave. */
const OPEN: Outbound = { commit: () => undefined };
const ping = (id: number): JSONRPCMessage => ({ jsonrpc: '2.0', id, method: 'ping' });

/** A pipe that counts the writes it is handed, as a child's stdin or our stdout would see them. */
const countingPipe = () => {
  const pipe = new PassThrough();
  let writes = 0;
  const input = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes++;
      pipe.write(chunk, done);
    },
  });
  return { input, output: pipe, writes: () => writes };
};

const frame = fc.record({
  id: fc.integer({ min: 1, max: 1_000_000 }),
  text: fc.string({ maxLength: 300 }),
  oversized: fc.boolean(),
});

describe('LineTransport batching', () => {
  it('[LIM-1] [FRM-1] frames sent in one turn leave in one write and arrive intact, in order; an oversized one in the batch is still refused with its code and id', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 40 }), async (frames) => {
        const pipe = countingPipe();
        const sender = new LineTransport(
          new PassThrough(),
          pipe.input,
          { maxMessageBytes: 1 << 30, maxDepth: 64 },
          OPEN,
          () => undefined,
        );
        const events: Array<
          | { kind: 'message'; id: unknown; text: unknown }
          | { kind: 'rejected'; code: string; id: unknown }
        > = [];
        const receiver = new LineTransport(
          pipe.output,
          new PassThrough(),
          LIMITS,
          OPEN,
          (rejected: Rejected) =>
            events.push({ kind: 'rejected', code: rejected.code, id: rejected.id }),
        );
        receiver.onmessage = (message) => {
          const m = message as unknown as { id: unknown; params: { text: unknown } };
          events.push({ kind: 'message', id: m.id, text: m.params.text });
        };
        await receiver.start();
        await sender.start();

        // All in the same turn, none awaited before the last is queued.
        const sent = frames.map((f) =>
          sender.send({
            jsonrpc: '2.0',
            id: f.id,
            method: 'tools/call',
            params: {
              name: 'echo',
              text: f.oversized ? f.text + 'x'.repeat(LIMITS.maxMessageBytes) : f.text,
            },
          }),
        );
        await Promise.all(sent);
        expect(pipe.writes()).toBe(1);
        await new Promise((resolve) => setImmediate(resolve));

        expect(events).toEqual(
          frames.map((f) =>
            f.oversized
              ? { kind: 'rejected', code: 'LIMIT_MESSAGE_TOO_LARGE', id: f.id }
              : { kind: 'message', id: f.id, text: f.text },
          ),
        );
        await sender.close();
        await receiver.close();
      }),
      { numRuns: 60 },
    );
  });

  it('frames sent in later turns leave in later writes, and a frame sent before close still leaves', async () => {
    const pipe = countingPipe();
    const sender = new LineTransport(new PassThrough(), pipe.input, LIMITS, OPEN, () => undefined);
    const lines: string[] = [];
    pipe.output.on('data', (chunk: Buffer) =>
      lines.push(...chunk.toString().split('\n').filter(Boolean)),
    );
    await sender.start();
    await sender.send(ping(1));
    await sender.send(ping(2));
    const last = sender.send(ping(3));
    await sender.close();
    await last;
    await expect(sender.send(ping(4))).rejects.toThrow('transport closed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(pipe.writes()).toBe(3);
    expect(lines.map((l) => (JSON.parse(l) as { id: number }).id)).toEqual([1, 2, 3]);
  });
});

describe('LineTransport delivery to the SDK client', () => {
  it('a progress notification read in the same chunk as its result still reaches the caller', async () => {
    const { Client } = await import('@modelcontextprotocol/client');
    const fromServer = new PassThrough();
    const toServer = new PassThrough();
    const transport = new LineTransport(
      fromServer,
      toServer,
      { maxMessageBytes: 1 << 20, maxDepth: 64 },
      OPEN,
      () => undefined,
    );
    // A scripted server on the other end: every answer to tools/call is written in ONE chunk after its progress.
    let pending = '';
    toServer.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const message = JSON.parse(pending.slice(0, nl)) as {
          id?: number;
          method: string;
          params?: { _meta?: { progressToken?: number } };
        };
        pending = pending.slice(nl + 1);
        if (message.method === 'initialize')
          fromServer.write(
            JSON.stringify({
              jsonrpc: '2.0',
              id: message.id,
              result: {
                protocolVersion: '2025-11-25',
                capabilities: { tools: {} },
                serverInfo: { name: 'scripted', version: '1' },
              },
            }) + '\n',
          );
        if (message.method === 'tools/call') {
          const progressToken = message.params?._meta?.progressToken;
          const progress = [1, 2].map((n) =>
            JSON.stringify({
              jsonrpc: '2.0',
              method: 'notifications/progress',
              params: { progressToken, progress: n, total: 2 },
            }),
          );
          const result = JSON.stringify({
            jsonrpc: '2.0',
            id: message.id,
            result: { content: [{ type: 'text', text: 'done' }] },
          });
          fromServer.write([...progress, result].join('\n') + '\n');
        }
      }
    });
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(transport);
    for (let round = 0; round < 3; round++) {
      const seen: number[] = [];
      const result = await client.callTool(
        { name: 'slow', arguments: {} },
        { onprogress: (p) => seen.push(p.progress) },
      );
      expect(result.content).toEqual([{ type: 'text', text: 'done' }]);
      expect(seen).toEqual([1, 2]);
    }
    await client.close();
  });
});

describe('LineTransport refusals', () => {
  it('[FAIL-1] a frame that is not JSON is refused without an id, with the id it shows as a guess for the owner', async () => {
    const input = new PassThrough();
    const rejected: Rejected[] = [];
    const transport = new LineTransport(input, new PassThrough(), LIMITS, OPEN, (r) =>
      rejected.push(r),
    );
    await transport.start();
    input.write('{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"cut\n');
    input.write('not json at all\n');
    expect(rejected).toEqual([
      { ok: false, code: 'FRAME_PARSE_ERROR', message: 'message is not valid JSON', guessedId: 7 },
      { ok: false, code: 'FRAME_PARSE_ERROR', message: 'message is not valid JSON' },
    ]);
  });
});
