import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import {
  Client,
  StreamableHTTPClientTransport,
  type ClientOptions,
  type Transport,
} from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { connectLean, type LeanEra } from './lean-client.js';
import type { Call } from './measure.js';

/** Where things are: the repository root, the built echo fixtures, a scratch dir for configs. */
export interface Paths {
  readonly root: string;
  readonly scratch: string;
  /** The HTTP load generator: the lean raw-HTTP client (default) or the official SDK client. */
  readonly httpClient?: 'lean' | 'sdk';
}

/** A started scenario: how to call the tool, which process to weigh, and how to tear it all down. */
export interface Running {
  readonly call: Call;
  /** The process whose RSS is reported: the gateway or proxy, or the server itself when direct. */
  readonly pid: number | undefined;
  close(): Promise<void>;
}

export interface Scenario {
  readonly id: string;
  readonly label: string;
  /** The scenario it is compared against (a direct one), or none for a baseline. */
  readonly baseline?: string;
  start(paths: Paths): Promise<Running>;
}

export const echoStdio = (paths: Paths) =>
  join(paths.root, 'dist/test/fixtures/servers/echo-server.js');
export const echoHttp = (paths: Paths) =>
  join(paths.root, 'dist/test/fixtures/servers/echo-http-server.js');
export const toolgateBin = (paths: Paths) => join(paths.root, 'bin/toolgate.js');
export const relayBin = (paths: Paths) => join(paths.root, 'dist/bench/relay.js');
export const mcpProxyBin = (paths: Paths) =>
  join(paths.root, 'node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs');

/** Extra node flags for the weighed toolgate or relay process (e.g. `--cpu-prof`), from BENCH_GATEWAY_NODE_ARGS. */
export const gatewayNodeArgs = (): string[] =>
  (process.env['BENCH_GATEWAY_NODE_ARGS'] ?? '').split(' ').filter(Boolean);

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

const waitForPort = async (
  port: number,
  child: ChildProcess,
  timeoutMs = 15_000,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`process exited (${child.exitCode}) before listening on ${port}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
};

/** Starts a loopback-only helper process; keeps the tail of its stderr for error messages. */
const startProcess = (
  args: readonly string[],
  env: Record<string, string> = {},
): { child: ChildProcess; stderr: () => string } => {
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-4000);
  });
  return { child, stderr: () => tail };
};

const stopProcess = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(kill);
};

const connectClient = async (
  transport: Transport,
  tool: string,
  options: ClientOptions = {},
): Promise<{ call: Call; close: () => Promise<void> }> => {
  const client = new Client({ name: 'toolgate-bench', version: '1.0.0' }, options);
  await client.connect(transport);
  // A gateway lists an upstream that is still starting (or restarting) as empty: give it a few seconds.
  for (let attempt = 1; ; attempt++) {
    // A raw request, not listTools(): the client's list cache would replay the empty answer.
    const { tools } = await client.request({ method: 'tools/list', params: {} });
    if (tools.some((t) => t.name === tool)) break;
    if (attempt >= 20)
      throw new Error(`tool ${tool} not listed (got ${tools.map((t) => t.name).join(', ')})`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const call: Call = async () => {
    const result = await client.callTool({ name: tool, arguments: { text: 'hello' } });
    if (result.isError) throw new Error('tool call failed');
    return result;
  };
  return { call, close: () => client.close() };
};

export const writeConfig = (
  paths: Paths,
  name: string,
  server: Record<string, unknown>,
  top: Record<string, unknown> = {},
): string => {
  // A fresh folder per start: the audit log and its keys live beside the config, and a round must not
  // start on the log the rounds before it filled (a gateway replays its log at start).
  const file = join(mkdtempSync(join(paths.scratch, `${name}-`)), `${name}.json`);
  // Limits above the bench's concurrency, so the gateway never refuses a bench call.
  const config = {
    version: 1,
    ...top,
    servers: { bench: { ...server, tools: ['echo'], limits: { maxConcurrentCalls: 64 } } },
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
};

/** An MCP client over stdio to `args` (node is the command), with `env` added; reports the RSS of that process. */
export const stdioTarget = async (
  args: readonly string[],
  tool: string,
  env: Record<string, string> = {},
): Promise<Running> => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...args],
    env: { ...getDefaultEnvironment(), ...env },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', () => undefined);
  const { call, close } = await connectClient(transport, tool);
  return { call, pid: transport.pid ?? undefined, close };
};

/**
 * The bench client's fetch: its POSTs go without the transport's long-lived abort signal. Node 20's
 * fetch (undici) adds an abort listener to that signal per request and drops it only when the
 * request is garbage-collected, so over the bench's thousands of calls the list grows into the
 * thousands (a MaxListenersExceededWarning per call, and each add walks the list): a cost of the
 * bench's own client, charged to whichever scenario runs. The bench never aborts a call.
 */
const benchFetch = (url: string | URL, init?: RequestInit): Promise<Response> =>
  fetch(url, init?.method === 'POST' ? { ...init, signal: null } : init);

/**
 * An MCP client over Streamable HTTP to a process started with `args(port)`, which is weighed.
 * `era` picks the protocol era: 2025-11-25 (sessionful where the server keeps sessions) or
 * 2026-07-28 (stateless). The client is the lean one (`lean-client.ts`) unless `paths.httpClient`
 * asks for the SDK's, so every contender is driven by the same generator in one run. `env` is added
 * to the started process's environment.
 */
export const httpTarget = async (
  paths: Paths,
  args: (port: number) => readonly string[],
  tool: string,
  helpers: readonly ChildProcess[] = [],
  era: LeanEra = '2025',
  env: Record<string, string> = {},
): Promise<Running> => {
  const port = await freePort();
  const { child, stderr } = startProcess(args(port), env);
  const url = `http://127.0.0.1:${port}/mcp`;
  try {
    await waitForPort(port, child);
    const connected =
      paths.httpClient === 'sdk'
        ? await connectClient(
            new StreamableHTTPClientTransport(new URL(url), { fetch: benchFetch }),
            tool,
            era === '2026' ? { versionNegotiation: { mode: 'auto' } } : {},
          )
        : await connectLean(url, tool, era);
    return {
      call: connected.call,
      pid: child.pid,
      close: async () => {
        await connected.close().catch(() => undefined);
        await stopProcess(child);
        for (const helper of helpers) await stopProcess(helper);
      },
    };
  } catch (error) {
    await stopProcess(child);
    for (const helper of helpers) await stopProcess(helper);
    throw new Error(
      `${(error as Error).message}\n${stderr().trim().split('\n').slice(-5).join('\n')}`,
    );
  }
};

/** Starts the HTTP echo fixture as an upstream for a gateway; returns its URL and process. */
export const startHttpEcho = async (
  paths: Paths,
): Promise<{ url: string; child: ChildProcess }> => {
  const port = await freePort();
  const { child } = startProcess([echoHttp(paths), String(port)]);
  await waitForPort(port, child);
  return { url: `http://127.0.0.1:${port}/mcp`, child };
};

/** `toolgate serve` with `config` on `port`, as node arguments (the weighed process's flags first). */
export const serveArgs = (paths: Paths, config: string, port: number): string[] => [
  ...gatewayNodeArgs(),
  toolgateBin(paths),
  'serve',
  '--no-lock',
  '--config',
  config,
  '--listen',
  `127.0.0.1:${port}`,
];
