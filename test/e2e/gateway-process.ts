import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fixture } from './harness.js';
import { afterAll } from 'vitest';

/** Helpers for the HTTP-front e2e and fuzz tests: a real `toolgate` process, raw HTTP. */

export const root = join(import.meta.dirname, '../..');
/** Open to all (0777): as root, sandboxed servers run as nobody and must reach the dirs bound for them. */
export const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-e2e-'));
  chmodSync(dir, 0o777);
  return dir;
};

export const everything = {
  command: 'node',
  args: [join(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'],
};
export const memory = {
  command: 'node',
  args: [join(root, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js')],
};
export const recording = (recordFile: string) => ({
  command: 'node',
  args: [fixture('recording')],
  env: { RECORD_FILE: recordFile },
  sandbox: { writable: [dirname(recordFile)] },
});
/** An empty record file for `recording`, writable by the sandboxed recorder (nobody, when tests run as root). */
export const newRecordFile = (): string => {
  const file = join(tempDir(), 'record.jsonl');
  writeFileSync(file, '');
  chmodSync(file, 0o666);
  return file;
};

export interface ServeProcess {
  readonly url: string;
  /** The config file it runs on (its folder holds the audit log). */
  readonly configFile: string;
  readonly port: number;
  /** The address the server reported binding. */
  readonly address: string;
  readonly proc: ChildProcess;
  stderr(): string;
  /** SIGTERM, then the exit code (or signal). */
  stop(): Promise<number | string | null>;
}

/**
 * Writes `config` to a temp file (or to `options.file`, which replicas may share) and starts
 * `toolgate serve` on it; resolves once it listens. `options.lock` runs it with the config's lock.
 */
/**
 * Every `serve` this test file started and that still runs. Its stdin is not a pipe, so nothing ends
 * it when the test file ends (a test that timed out before its `stop`): this hook of the file does.
 */
const live = new Set<ChildProcess>();
afterAll(() => live.forEach((p) => p.kill('SIGTERM')));

export const startServe = async (
  config: unknown,
  listen = '127.0.0.1:0',
  options: {
    file?: string;
    env?: Record<string, string>;
    lock?: boolean;
    startMs?: number;
    /** More `serve` flags, e.g. `--insecure-no-auth`. */
    args?: readonly string[];
  } = {},
): Promise<ServeProcess> => {
  const file = options.file ?? join(tempDir(), 'toolgate.json');
  writeFileSync(file, JSON.stringify(config));
  const proc = spawn(
    'node',
    [
      join(root, 'bin/toolgate.js'),
      'serve',
      ...(options.lock ? [] : ['--no-lock']),
      ...['--config', file, '--listen', listen],
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...options.env } },
  );
  let stderr = '';
  live.add(proc);
  const exited = new Promise<number | string | null>((resolve) =>
    proc.once('exit', (code, signal) => {
      live.delete(proc);
      resolve(code ?? signal);
    }),
  );
  const ready = await new Promise<{ url: string; port: number; address: string }>(
    (resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`toolgate serve did not start:\n${stderr}`)),
        options.startMs ?? 90_000, // a loaded CI machine can take this long to start node
      );
      proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        for (const line of stderr.split('\n')) {
          if (!line.includes('"gateway listening"')) continue;
          clearTimeout(timer);
          resolve(JSON.parse(line) as { url: string; port: number; address: string });
        }
      });
      void exited.then((code) =>
        reject(new Error(`toolgate serve exited (${String(code)}):\n${stderr}`)),
      );
    },
  ).catch((error: unknown) => {
    proc.kill('SIGTERM'); // a start that failed leaves no process behind
    throw error;
  });
  return {
    ...ready,
    configFile: file,
    proc,
    stderr: () => stderr,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
};

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** A raw HTTP/1.1 exchange with exact headers and bytes (fetch forbids setting Host). */
export const raw = (
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: Uint8Array | string;
    path?: string;
  } = {},
): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: options.path ?? target.pathname,
        method: options.method ?? 'POST',
        headers: options.headers ?? {},
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });

/** JSON-RPC messages in a response: a JSON body, or the `data:` lines of an SSE body. */
export const messagesOf = (response: RawResponse): Array<Record<string, unknown>> => {
  if (response.text.trim() === '') return [];
  const type = String(response.headers['content-type'] ?? '');
  if (type.includes('text/event-stream'))
    return response.text
      .split('\n')
      .filter((l) => l.startsWith('data:') && l.slice(5).trim() !== '')
      .map((l) => JSON.parse(l.slice(5)) as Record<string, unknown>);
  return [JSON.parse(response.text) as Record<string, unknown>];
};

/** `data.code` of a JSON-RPC error message. */
export const dataCode = (message: Record<string, unknown> | undefined): unknown =>
  ((message?.['error'] as { data?: { code?: unknown } } | undefined)?.data ?? {}).code;

/** A 2025-era `initialize` request body, for raw-HTTP tests of what the front does before a session. */
export const INITIALIZE_BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 't', version: '1' },
  },
});

export const JSON_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

/** Opens a 2025-era session with raw HTTP; returns its id. */
export const openLegacySession = async (
  url: string,
  headers: Record<string, string> = {},
): Promise<string> => {
  const init = await raw(url, {
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'raw', version: '1' },
      },
    }),
  });
  const id = init.headers['mcp-session-id'];
  if (init.status !== 200 || typeof id !== 'string')
    throw new Error(`initialize failed: ${init.status} ${init.text}`);
  await raw(url, {
    headers: {
      ...JSON_HEADERS,
      ...headers,
      'mcp-session-id': id,
      'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  return id;
};
