import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client, type JSONRPCMessage, type Transport } from '@modelcontextprotocol/client';
import { expect } from 'vitest';
import { checkpointSize } from '../../src/audit/checkpoint.js';
import { BIN, fixture, tempDir } from '../e2e/harness.js';
import { auditCli } from './audit-gateway.js';

/**
 * Signals on a real `toolgate run` (stdio) and `toolgate serve` (HTTP) process: SIGHUP reloads the
 * config (all or nothing), SIGTERM/SIGINT/SIGQUIT and stdin's end shut down with a final checkpoint.
 */

export type LogLine = Record<string, unknown> & {
  message?: string;
  kind?: string;
  server?: string;
  event?: { kind?: string; pid?: number };
};

/** The gateway's stderr as JSON lines, with a wait for the first line (after `from`) that matches. */
const logOf = (proc: ChildProcess) => {
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: proc.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      lines.push({ message: line });
    }
    for (const wake of waiters) wake();
  });
  const waitFor = (match: (line: LogLine) => boolean, from = 0, ms = 30_000): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = lines.slice(from).find(match);
        if (!found) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(
            `no matching log line in time; log:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`,
          ),
        );
      }, ms);
      waiters.add(check);
      check();
    });
  return { lines, waitFor };
};

/** MCP over a child's stdin/stdout, newline-delimited: the official client on a process this test owns (its pid, its exit code). */
class ChildTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  private readonly proc: ChildProcess;
  constructor(proc: ChildProcess) {
    this.proc = proc;
  }
  async start(): Promise<void> {
    createInterface({ input: this.proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.trim() !== '') this.onmessage?.(JSON.parse(line) as JSONRPCMessage);
    });
    this.proc.once('exit', () => this.onclose?.());
  }
  async send(message: JSONRPCMessage): Promise<void> {
    this.proc.stdin?.write(JSON.stringify(message) + '\n');
  }
  async close(): Promise<void> {
    this.proc.stdin?.end();
  }
}

/** Each sandbox runs as its own uid, so servers sharing `dir` each need their own log file (`log`). */
export const tricky = (dir: string, tools: string[], log = 'tricky.log') => ({
  command: process.execPath,
  args: [fixture('tricky')],
  env: { TRICKY_LOG: join(dir, log) },
  sandbox: { writable: [dir] },
  tools,
});

export const writeConfig = (path: string, config: unknown) =>
  writeFileSync(path, JSON.stringify(config));

const started = new Set<ChildProcess>();
/** Kills what `startRun` started and is still running: for `afterEach`, so a failed test leaves no gateway behind. */
export const killStarted = () => {
  for (const proc of started)
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  started.clear();
};

/** `toolgate run` on `config` (pins off unless a lock is beside it: `lock.required: false`), with the official client. */
export const startRun = async (config: Record<string, unknown>, dir = tempDir()) => {
  const configPath = join(dir, 'toolgate.yaml');
  writeConfig(configPath, config);
  const proc = spawn(process.execPath, [BIN, 'run', '--config', configPath], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
  });
  started.add(proc);
  const exited = new Promise<number | string | null>((resolve) =>
    proc.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  const log = logOf(proc);
  const client = new Client({ name: 'signals-test', version: '1.0.0' });
  const listChanged: number[] = [];
  client.setNotificationHandler(
    'notifications/tools/list_changed',
    () => void listChanged.push(Date.now()),
  );
  await client.connect(new ChildTransport(proc));
  await log.waitFor((l) => l.message === 'gateway started');
  return { proc, exited, log, client, configPath, dir, listChanged };
};

export const toolNames = async (client: Client) =>
  (await client.listTools()).tools.map((t) => t.name).sort();

/** pid of the upstream `server` as its last `started` event reported it. */
export const pidOf = (lines: readonly LogLine[], server: string): number | undefined =>
  lines
    .filter((l) => l.kind === 'upstream' && l.server === server && l.event?.kind === 'started')
    .at(-1)?.event?.pid;
export const startsOf = (lines: readonly LogLine[], server: string) =>
  lines.filter((l) => l.kind === 'upstream' && l.server === server && l.event?.kind === 'started')
    .length;

/** The exported log: its entries, and the tree size of every checkpoint, in order. */
export const exported = (configPath: string) => {
  const out = auditCli(configPath, 'export', '--format', 'jsonl');
  expect(out.code, out.err).toBe(0);
  const lines = out.out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    entries: lines.filter((l) => !('checkpoint' in l)) as Array<{
      decision?: string;
      policy?: string;
      event?: Record<string, unknown>;
    }>,
    checkpoints: lines
      .filter((l) => 'checkpoint' in l)
      .map((l) => checkpointSize(l['checkpoint'] as string)),
    last: lines.at(-1),
  };
};

/** The log ends with a signed checkpoint over every entry, and `toolgate audit verify` passes. */
export const expectClosedLog = (configPath: string) => {
  const log = exported(configPath);
  expect(log.last).toHaveProperty('checkpoint');
  expect(log.checkpoints.at(-1)).toBe(log.entries.length);
  expect(log.entries.at(-1)?.event?.['kind']).toBe('shutdown');
  const verify = auditCli(configPath, 'verify');
  expect(verify.code, verify.out + verify.err).toBe(0);
  expect(verify.out).toMatch(/^ok: /);
  expect(verify.out).not.toContain('not yet under a signed checkpoint');
  return log;
};

export const eventsOf = (configPath: string, kind: string) =>
  exported(configPath).entries.filter((e) => e.event?.['kind'] === kind);
