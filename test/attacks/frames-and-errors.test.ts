import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  dataCode,
  JSON_HEADERS,
  messagesOf,
  raw,
  recording,
  startServe,
  type ServeProcess,
} from '../e2e/gateway-process.js';
import {
  BIN,
  errorOf,
  eventually,
  fixture,
  startStdioGateway,
  tempDir,
  type Running,
} from '../e2e/harness.js';

/**
 * Hostile review #19, item 11: frames that got no answer at all, and error messages that carried
 * internals (a validator's dump, the audit store's path) to the client.
 */

type Frame = Record<string, unknown>;

/** `toolgate run` spoken to in raw JSON lines, so a test can send frames no SDK client would. */
const rawStdio = (config: unknown) => {
  const file = join(tempDir(), 'toolgate.json');
  writeFileSync(file, JSON.stringify(config));
  const proc: ChildProcessWithoutNullStreams = spawn(process.execPath, [
    BIN,
    'run',
    '--no-lock',
    '--config',
    file,
  ]);
  const received: Frame[] = [];
  const waiters: Array<() => void> = [];
  let buffer = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) received.push(JSON.parse(line) as Frame);
    for (const wake of waiters.splice(0)) wake();
  });
  proc.stderr.resume();
  const send = (frame: string) => proc.stdin.write(`${frame}\n`);
  /** The answer to request `id`; never a fixed sleep: waits for stdout. */
  const answer = async (id: number): Promise<Frame> => {
    for (;;) {
      const found = received.find((m) => m['id'] === id);
      if (found) return found;
      if (proc.exitCode !== null) throw new Error('toolgate exited');
      await new Promise<void>((wake) => waiters.push(wake));
    }
  };
  return { send, answer, stop: () => proc.kill('SIGTERM') };
};

const echoConfig = {
  audit: false,
  servers: {
    e: { command: process.execPath, args: [fixture('attacker')], tools: ['*'], sandbox: false },
  },
};

let stdio: ReturnType<typeof rawStdio> | undefined;
let serve: ServeProcess | undefined;
let gw: Running | undefined;
afterEach(async () => {
  stdio?.stop();
  await serve?.stop();
  await gw?.close();
  stdio = undefined;
  serve = undefined;
  gw = undefined;
});

const initialized = async (s: ReturnType<typeof rawStdio>) => {
  s.send(
    JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'raw', version: '1' },
      },
    }),
  );
  await s.answer(0);
  s.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
};

describe('when a frame carries a top-level "__proto__" (or any member JSON-RPC does not define)', () => {
  it('[FRM-3] is answered with FRAME_INVALID_JSONRPC over stdio instead of silently dropped', async () => {
    stdio = rawStdio(echoConfig);
    await initialized(stdio);
    stdio.send('{"jsonrpc":"2.0","id":1,"method":"ping","__proto__":{"polluted":true}}');
    stdio.send('{"jsonrpc":"2.0","id":2,"method":"ping","extra":1}');
    for (const id of [1, 2]) {
      const reply = await stdio.answer(id);
      expect(dataCode(reply)).toBe('FRAME_INVALID_JSONRPC');
    }
    // The session is intact.
    stdio.send('{"jsonrpc":"2.0","id":3,"method":"ping"}');
    expect(await stdio.answer(3)).toMatchObject({ result: {} });
  });

  it('[FRM-3] is answered with a 400 and FRAME_INVALID_JSONRPC over HTTP', async () => {
    serve = await startServe({
      servers: { rec: { ...recording(join(tempDir(), 'r')), tools: ['echo'] } },
    });
    const reply = await raw(serve.url, {
      headers: { ...JSON_HEADERS, 'mcp-protocol-version': '2025-11-25' },
      body: '{"jsonrpc":"2.0","id":7,"method":"initialize","__proto__":{},"params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}',
    });
    expect(reply.status).toBe(400);
    expect(messagesOf(reply)[0]).toMatchObject({
      id: 7,
      error: { data: { code: 'FRAME_INVALID_JSONRPC' } },
    });
  });
});

describe('when a request fails the MCP schema the SDK checks', () => {
  it('[FRM-4] a "ref/tool" completion gets -32602 FRAME_INVALID_PARAMS, not -32603 with the validator\'s dump', async () => {
    stdio = rawStdio(echoConfig);
    await initialized(stdio);
    stdio.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 4,
        method: 'completion/complete',
        params: { ref: { type: 'ref/tool', name: 'e__echo' }, argument: { name: 'a', value: 'b' } },
      }),
    );
    const reply = await stdio.answer(4);
    expect(reply['error']).toMatchObject({ code: -32602, data: { code: 'FRAME_INVALID_PARAMS' } });
    const message = String((reply['error'] as { message?: unknown }).message);
    expect(message).not.toMatch(/invalid_union|invalid_value|"path"|\n/);
  });
});

describe('when the audit log cannot record', () => {
  it("[FRM-4] AUDIT_APPEND_FAILED reaches the client without the store's path", async () => {
    const logs = join(tempDir(), 'audit-logs');
    mkdirSync(logs);
    gw = await startStdioGateway({
      servers: {
        e: {
          command: process.execPath,
          args: [fixture('attacker')],
          tools: ['echo'],
          sandbox: false,
        },
      },
      audit: { path: join(logs, 'toolgate-audit.jsonl') },
    });
    rmSync(logs, { recursive: true }); // the log is gone while the gateway runs
    const error = await errorOf(gw.client.callTool({ name: 'e__echo', arguments: { text: 'x' } }));
    expect(error).toMatchObject({ code: -32006, data: { code: 'AUDIT_APPEND_FAILED' } });
    expect(error.message).not.toMatch(/audit-logs|toolgate-audit|EROFS|EACCES|ENOENT/);
    // The operator's log still says where and why.
    await eventually(
      () => gw?.stderr.join('\n').includes(join(logs, 'toolgate-audit.jsonl')) === true,
    );
  });
});
