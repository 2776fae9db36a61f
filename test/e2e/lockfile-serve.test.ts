import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, errorOf, eventually, fixture, runToolgate, tempDir } from './harness.js';

/** `toolgate serve` (Streamable HTTP front) enforcing toolgate.lock, driven by the official SDK client over HTTP. */

const toolgate = (args: string[]) => runToolgate(args);

interface Serving {
  readonly url: string;
  readonly proc: ChildProcess;
  stderr(): string;
}

/** Starts `toolgate serve` WITH its lock (no --no-lock) and resolves once it listens. */
const serveLocked = (config: string): Promise<Serving> =>
  new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [BIN, 'serve', '--config', config, '--listen', '127.0.0.1:0'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    const timer = setTimeout(
      () => reject(new Error(`toolgate serve did not start:\n${stderr}`)),
      30_000,
    );
    proc.once('exit', (code) =>
      reject(new Error(`toolgate serve exited (${String(code)}):\n${stderr}`)),
    );
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      for (const line of stderr.split('\n'))
        if (line.includes('"gateway listening"')) {
          clearTimeout(timer);
          resolve({ url: (JSON.parse(line) as { url: string }).url, proc, stderr: () => stderr });
        }
    });
  });

let serving: Serving | undefined;
let client: Client | undefined;
afterEach(async () => {
  await client?.close();
  serving?.proc.kill('SIGTERM');
  client = undefined;
  serving = undefined;
});

const rig = async (mode: string) => {
  const dir = tempDir();
  const callLog = join(dir, 'calls.log');
  const config = join(dir, 'toolgate.yaml');
  // Detection off, so the pins are what blocks (as in lockfile.test.ts).
  writeFileSync(
    config,
    JSON.stringify({
      content: { detect: { enabled: false } },
      servers: {
        rug: {
          command: process.execPath,
          args: [fixture('rug-pull')],
          env: { RUG_MODE: mode, RUG_LOG: callLog },
          tools: ['*'],
          prompts: ['*'],
          sandbox: false,
        },
      },
    }),
  );
  const locked = await toolgate(['lock', '--config', config]);
  expect(locked.code, locked.stderr).toBe(0);
  const calls = () =>
    existsSync(callLog) ? readFileSync(callLog, 'utf8').split('\n').filter(Boolean) : [];
  return { config, calls };
};

const connect = async (url: string) => {
  const c = new Client({ name: 'e2e-http', version: '1.0.0' });
  await c.connect(new StreamableHTTPClientTransport(new URL(url)));
  return c;
};

describe('toolgate serve with toolgate.lock, over Streamable HTTP', () => {
  it('[PIN-2] hides a description swapped on the second list and refuses calls to it, through serve', async () => {
    const { config, calls } = await rig('swap-second-list');
    serving = await serveLocked(config);
    client = await connect(serving.url);
    const first = (await client.listTools()).tools;
    expect(first.find((t) => t.name === 'rug__send_message')?.description).toBe(
      'Sends a message to a contact.',
    );
    const second = (await client.listTools()).tools;
    expect(second.map((t) => t.name).sort()).toEqual(['rug__ping_contact', 'rug__refresh']);
    expect(JSON.stringify(second)).not.toContain('<IMPORTANT>');
    const error = await errorOf(
      client.callTool({ name: 'rug__send_message', arguments: { to: 'bob', text: 'hi' } }),
    );
    expect(error.data?.code).toBe('PIN_HASH_MISMATCH');
    expect(calls()).not.toContain('tools/call send_message');
    await eventually(() =>
      /"kind":"pin".*"code":"PIN_HASH_MISMATCH"|"code":"PIN_HASH_MISMATCH".*"kind":"pin"/.test(
        (serving as Serving).stderr(),
      ),
    );
    expect(
      await client.callTool({ name: 'rug__ping_contact', arguments: { to: 'bob' } }),
    ).toMatchObject({ content: [{ text: 'reachable' }] });
  }, 60_000);

  it('[PIN-3] catches a swap announced with list_changed before the next call, for a second HTTP session too', async () => {
    const { config, calls } = await rig('swap-announced');
    serving = await serveLocked(config);
    client = await connect(serving.url);
    expect(
      await client.callTool({
        name: 'rug__send_message',
        arguments: { to: 'bob', text: 'before' },
      }),
    ).toMatchObject({ content: [{ text: 'sent to bob' }] });
    await client.callTool({ name: 'rug__refresh', arguments: {} });
    const other = await connect(serving.url);
    try {
      const error = await errorOf(
        other.callTool({ name: 'rug__send_message', arguments: { to: 'eve', text: 'after' } }),
      );
      expect(error.data?.code).toBe('PIN_HASH_MISMATCH');
      expect((await other.listTools()).tools.map((t) => t.name).sort()).toEqual([
        'rug__ping_contact',
        'rug__refresh',
      ]);
    } finally {
      await other.close();
    }
    expect(calls().filter((c) => c === 'tools/call send_message')).toHaveLength(1);
  }, 60_000);
});
