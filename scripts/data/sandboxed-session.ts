// Starts one stdio MCP server inside toolgate's bubblewrap sandbox (the launch toolgate itself
// prepares: read-only host, no network, seccomp, rlimits) and speaks raw JSON-RPC to it, so the
// corpus records what the server sends even where toolgate's strict checks would refuse it.
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { parseConfig } from '../../src/config/load.js';
import { isStdioServer } from '../../src/config/schema.js';
import { prepareLaunch } from '../../src/sandbox/spawn.js';
import { childEnvironment } from '../../src/upstream/spawn-stdio.js';

export type Reply = Record<string, unknown>;

export interface Session {
  request(method: string, params: Record<string, unknown>): Promise<Reply>;
  notify(method: string): void;
  /** Rejects when the server exits: race it against requests. */
  readonly exited: Promise<never>;
  stderr(): string;
  close(): Promise<void>;
}

export interface ServerSpec {
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly readOnly?: readonly string[];
  readonly writable?: readonly string[];
  /** RLIMIT_AS in MiB; see startSandboxed for why the default is high. */
  readonly memoryMb?: number;
}

/** Feeds complete stdout lines to `onLine`; JSON-RPC replies resolve their request by id. */
const wire = (stdin: Writable, stdout: NodeJS.ReadableStream) => {
  let next = 1;
  const waiting = new Map<number, (message: Reply) => void>();
  const onLine = (line: string) => {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return; // a log line on stdout
    }
    if (typeof message !== 'object' || message === null) return;
    const record = message as Reply;
    const id = record['id'];
    if (typeof id === 'number' && !('method' in record)) waiting.get(id)?.(record);
    else if (typeof id === 'number' || typeof id === 'string')
      // A server request (roots/list, sampling): answered with an error, never served.
      stdin.write(
        JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32601, message: 'not supported' } }) +
          '\n',
      );
  };
  let buffered = '';
  stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let at: number;
    while ((at = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, at));
      buffered = buffered.slice(at + 1);
    }
  });
  const request = (method: string, params: Record<string, unknown>) =>
    new Promise<Reply>((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  const notify = (method: string) => {
    stdin.write(JSON.stringify({ jsonrpc: '2.0', method, params: {} }) + '\n');
  };
  return { request, notify };
};

export const startSandboxed = async (spec: ServerSpec): Promise<Session> => {
  const config = parseConfig({
    servers: {
      s: {
        command: process.execPath,
        args: spec.args,
        env: spec.env,
        tools: [],
        // WebAssembly (undici's HTTP parser, bundled engines) reserves gigabytes of address space per
        // instance: a capture records what a server lists, it is not a test of the address-space limit.
        sandbox: {
          memoryMb: spec.memoryMb ?? 65_536,
          readOnly: spec.readOnly ?? [],
          writable: spec.writable ?? [],
        },
      },
    },
  });
  const server = config.servers['s'];
  if (server === undefined || !isStdioServer(server)) throw new Error('not a stdio server');
  const launch = await prepareLaunch(
    's',
    server,
    childEnvironment(server),
    () => Promise.resolve(),
    {
      commit: () => undefined,
    },
  );
  const child = spawn(launch.command, launch.args, {
    env: launch.env,
    ...(launch.cwd !== undefined && { cwd: launch.cwd }),
    ...(launch.uid !== undefined && { uid: launch.uid }),
    ...(launch.gid !== undefined && { gid: launch.gid }),
    stdio: launch.fd3 ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'],
  });
  for (const stream of child.stdio) stream?.on('error', () => undefined);
  if (launch.fd3) (child.stdio[3] as Writable).end(launch.fd3);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000);
  });
  const exited = new Promise<never>((_, reject) =>
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr.trim().slice(-300)}`))),
  );
  exited.catch(() => undefined); // observed by whoever races it
  const rpc = wire(child.stdin, child.stdout);
  return {
    ...rpc,
    exited,
    stderr: () => stderr,
    close: async () => {
      child.kill('SIGKILL');
      await launch.close();
    },
  };
};

/** Sends initialize and notifications/initialized; returns the initialize result. */
export const initialize = async (session: Session): Promise<Reply> => {
  const init = await session.request('initialize', {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'toolgate-corpus', version: '0.1.0' },
  });
  const result = init['result'];
  if (typeof result !== 'object' || result === null)
    throw new Error(`initialize failed: ${JSON.stringify(init['error'])}`);
  session.notify('notifications/initialized');
  return result as Reply;
};

/** Rejects after `ms` with the server's last stderr lines; `cancel` clears the timer. */
export const deadline = (ms: number, session: Session) => {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer in ${ms} ms: ${session.stderr().trim().slice(-300)}`)),
      ms,
    );
  });
  return { expired, cancel: () => clearTimeout(timer) };
};
