import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonl } from '../../src/audit/store-jsonl.js';
import { fixture, npmServer, tempDir } from './harness.js';

// What the audit e2e files (audit*.test.ts) share: reading the stored log, the recording fixture.

/** The stored log (the JSONL file beside the config): its entries, parsed, and its checkpoints. */
export const logOf = (dir: string) =>
  parseJsonl(readFileSync(join(dir, 'toolgate-audit.jsonl'), 'utf8'));

export const entriesOf = (dir: string) =>
  logOf(dir).entries.map(
    (r) =>
      JSON.parse(r.body) as Record<string, unknown> & {
        seq: number;
        decision: string;
        call?: string;
        method?: string;
        target?: string;
        targetHash?: string;
        reason?: string;
        event?: Record<string, unknown>;
      },
  );

/** The recording fixture, sandboxed with its record file's folder writable: it records every message it receives (initialize included). */
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
  return { record, rec };
};

export const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (error) {
    return error as { code: number; message: string; data?: { code?: string } };
  }
  throw new Error('expected a JSON-RPC error');
};

export const everything = {
  command: process.execPath,
  args: [npmServer('server-everything'), 'stdio'],
  tools: ['echo', 'get-sum'],
};

/** A gateway's shutdown event. */
export const isShutdown = (e: { event?: Record<string, unknown> }) =>
  e.event?.['kind'] === 'shutdown';
