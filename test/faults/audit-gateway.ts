import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { parseJsonl } from '../../src/audit/store-jsonl.js';
import { BIN, fixture, tempDir } from '../e2e/harness.js';

/** The audit fault tests' rig: a real `toolgate run` with the official SDK client, the audit CLI, the stored log. */

/** `toolgate run` on `config` in `dir` (a fresh one by default; pass one to resume its log); the transport exposes the pid and the exit. */
export const startGateway = async (config: Record<string, unknown>, dir = tempDir()) => {
  const configPath = join(dir, 'toolgate.yaml');
  writeFileSync(configPath, JSON.stringify({ lock: { required: false }, ...config }));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'run', '--config', configPath],
    stderr: 'pipe',
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
  });
  const stderr: string[] = [];
  transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const client = new Client({ name: 'toolgate-fault-test', version: '1.0.0' });
  await client.connect(transport);
  const pid = transport.pid as number;
  return { client, transport, dir, configPath, stderr, pid };
};

/** True while the process runs. */
export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** `toolgate audit <args> --config FILE`. */
export const auditCli = (configPath: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, 'audit', ...args, '--config', configPath], {
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

export type LoggedEntry = Record<string, unknown> & {
  seq: number;
  decision: string;
  call?: string;
  target?: string;
  event?: Record<string, unknown>;
};

/** The entries of a JSONL log file, parsed. */
export const entriesAt = (path: string): LoggedEntry[] =>
  parseJsonl(readFileSync(path, 'utf8')).entries.map((e) => JSON.parse(e.body) as LoggedEntry);

/** The recording fixture, sandboxed with its record file's folder writable: it records every message it receives. */
export const recorder = () => {
  const dir = tempDir();
  const record = join(dir, 'received.jsonl');
  const rec = {
    command: process.execPath,
    args: [fixture('recording')],
    env: { RECORD_FILE: record },
    sandbox: { writable: [dir] },
    tools: ['echo'],
  };
  /** The texts of the tools/call requests the server received. */
  const received = (): string[] =>
    existsSync(record)
      ? readFileSync(record, 'utf8')
          .split('\n')
          .filter((l) => l.includes('"tools/call"'))
          .map((l) =>
            String(
              (JSON.parse(l) as { params?: { arguments?: { text?: unknown } } }).params?.arguments
                ?.text,
            ),
          )
      : [];
  return { record, rec, received };
};
