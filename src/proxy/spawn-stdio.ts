import { spawn, type ChildProcess } from 'node:child_process';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import type { StdioServerConfig } from '../config/schema.js';
import type { FrameLimits } from '../limits/frame.js';
import { LineTransport, type Rejected } from './line-transport.js';

/** Variables a child may inherit from the gateway: enough to run, nothing that carries secrets. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TERM', 'TZ', 'TMPDIR', 'NODE_OPTIONS', 'npm_config_cache', 'npm_config_registry'] as const;

export const childEnvironment = (server: StdioServerConfig): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const key of INHERITED_ENV) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...server.env };
};

/**
 * A stdio upstream: the child process plus a {@link LineTransport} over its pipes, so upstream
 * frames get the same size, depth and UTF-8 checks as the client's. An unparseable response that
 * still shows its id becomes a JSON-RPC error for that request rather than a silent timeout.
 */
export class StdioUpstreamTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private child: ChildProcess | undefined;
  private lines: LineTransport | undefined;
  private readonly server: StdioServerConfig;
  private readonly limits: FrameLimits;
  private readonly onStderr: (line: string) => void;

  constructor(server: StdioServerConfig, limits: FrameLimits, onStderr: (line: string) => void) {
    this.server = server;
    this.limits = limits;
    this.onStderr = onStderr;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.server.command, this.server.args, {
        env: childEnvironment(this.server),
        ...(this.server.cwd !== undefined && { cwd: this.server.cwd }),
        stdio: ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
      });
      this.child = child;
      const lines = new LineTransport(child.stdout, child.stdin, this.limits, (rejected) => this.reject(rejected));
      lines.onmessage = (message) => this.onmessage?.(message);
      lines.onerror = (error) => this.onerror?.(error);
      this.lines = lines;
      let stderrTail = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        const parts = (stderrTail + chunk).split('\n');
        stderrTail = parts.pop() ?? '';
        for (const line of parts) if (line.length > 0) this.onStderr(line.slice(0, 2000));
      });
      child.once('error', (error) => {
        reject(error);
        this.onerror?.(error);
        this.onclose?.();
      });
      child.once('spawn', () => {
        void lines.start().then(resolve);
      });
      child.once('exit', () => {
        void lines.close();
        this.onclose?.();
      });
    });
  }

  private reject(rejected: Rejected): void {
    this.onerror?.(new Error(`upstream sent a refused frame: ${rejected.message}`));
    if (rejected.id === undefined) return;
    this.onmessage?.({
      jsonrpc: '2.0',
      id: rejected.id,
      error: { code: -32600, message: rejected.message, data: { code: rejected.code } },
    } as JSONRPCMessage);
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (!this.lines) return Promise.reject(new Error('transport not started'));
    return this.lines.send(message);
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.stdin?.end();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const term = setTimeout(() => child.kill('SIGTERM'), 2000);
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(term);
    clearTimeout(kill);
  }

  /** Ends the child at once (a hung server). */
  kill(): void {
    this.child?.kill('SIGKILL');
  }
}
