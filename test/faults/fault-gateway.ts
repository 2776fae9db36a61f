import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { expect } from 'vitest';
import {
  BIN,
  eventually,
  fixture,
  runToolgate,
  startStdioGateway,
  type Running,
} from '../e2e/harness.js';

/**
 * A real `toolgate run` (stdio, SDK client) with one broken server `bad` beside a good one `good`,
 * and the checks every fault must pass: the good server answers, the gateway process is up, every
 * answer the client got is in the audit log with the same code, and `toolgate audit verify` passes.
 */
export interface FaultGateway {
  readonly gw: Running;
  readonly pid: number;
  /** The `data.code` of every error the client got from `bad`, in order ('ok' for a result). */
  readonly outcomes: string[];
  /** Calls `bad__<tool>` (`work` by default); records and returns its JSON-RPC error (or undefined for a result). */
  callBad(
    tool?: string,
  ): Promise<{ code: number; message: string; data?: { code?: string } } | undefined>;
  /** The gateway's events about `server` of one kind, as logged. */
  events(kind: string, server?: string): Array<Record<string, unknown>>;
  /** Every common check, then closes the gateway and verifies its audit log. */
  assertContained(): Promise<void>;
}

export const faulty = (fault: string, extra: Record<string, unknown> = {}) => ({
  command: process.execPath,
  args: [fixture('faulty')],
  env: { FAULT: fault },
  tools: ['*'],
  ...extra,
});

const good = { command: process.execPath, args: [fixture('echo-server')], tools: ['*'] };

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The config of a fault gateway, for a test that locks it first (`toolgate lock`) and passes `lockDir`. */
export const faultConfig = (bad: Record<string, unknown>) => ({
  servers: { bad, good },
  audit: { store: 'jsonl' },
});

/** The upstream events of `kind` the gateway logged for `server`, from its stderr lines. */
const upstreamEvents = (stderr: readonly string[], kind: string, server: string) =>
  stderr.flatMap((line): Array<Record<string, unknown>> => {
    try {
      const parsed = JSON.parse(line) as {
        kind?: string;
        server?: string;
        event?: Record<string, unknown>;
      };
      return parsed.kind === 'upstream' &&
        parsed.server === server &&
        parsed.event?.['kind'] === kind
        ? [parsed.event]
        : [];
    } catch {
      return [];
    }
  });

/** The outcome of every tools/call to `bad` in the audit log of the gateway in `dir`: `ok` or its reason. */
const loggedOutcomes = (dir: string): Array<string | undefined> => {
  const log = join(dir, 'toolgate-audit.jsonl');
  expect(existsSync(log)).toBe(true);
  const entries = readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{"') && !l.startsWith('{"checkpoint"'))
    .map(
      (l) =>
        JSON.parse(l) as {
          decision?: string;
          server?: string;
          method?: string;
          reason?: string;
          direction?: string;
        },
    );
  return entries
    .filter(
      (e) =>
        e.server === 'bad' &&
        e.method === 'tools/call' &&
        e.direction === 'to-server' &&
        ['result', 'error', 'deny'].includes(e.decision ?? ''),
    )
    .map((e) => (e.decision === 'result' ? 'ok' : e.reason));
};

/** `toolgate audit verify` passes on the gateway's log in `dir`. */
const expectAuditVerifies = (dir: string): void => {
  const verify = spawnSync(
    process.execPath,
    [BIN, 'audit', 'verify', '--config', join(dir, 'toolgate.yaml')],
    { encoding: 'utf8' },
  );
  expect(verify.status, verify.stdout + verify.stderr).toBe(0);
  expect(verify.stdout).toMatch(/^ok: \d+ entries/);
};

export const startFaultGateway = async (
  bad: Record<string, unknown>,
  options: { lockDir?: string } = {},
): Promise<FaultGateway> => {
  const gw = await startStdioGateway(
    faultConfig(bad),
    options.lockDir === undefined ? {} : { lock: { dir: options.lockDir } },
  );
  const pid = (gw.client.transport as StdioClientTransport | undefined)?.pid ?? 0;
  const outcomes: string[] = [];
  const events = (kind: string, server = 'bad') => upstreamEvents(gw.stderr, kind, server);
  const callBad = async (tool = 'work') => {
    try {
      await gw.client.callTool({
        name: `bad__${tool}`,
        arguments: tool === 'echo' ? { text: 'x' } : {},
      });
      outcomes.push('ok');
      return undefined;
    } catch (error) {
      const e = error as { code: number; message: string; data?: { code?: string } };
      outcomes.push(String(e.data?.code));
      return e;
    }
  };
  const assertContained = async () => {
    // The good server still answers, in the same gateway process, which is still up.
    expect(
      await gw.client.callTool({ name: 'good__echo', arguments: { text: 'still here' } }),
    ).toMatchObject({ content: [{ text: 'still here' }] });
    expect(alive(pid)).toBe(true);
    expect(gw.stderr.join('\n')).not.toMatch(/Unhandled|uncaught|ECONNRESET|EPIPE/i);
    await gw.close();
    await eventually(() => !alive(pid), 20_000);
    // Nothing left unlogged: every answer the client had from `bad` is an outcome entry with its code.
    expect(loggedOutcomes(gw.dir)).toEqual(outcomes);
    expectAuditVerifies(gw.dir);
  };
  return { gw, pid, outcomes, callBad, events, assertContained };
};

/** Runs the toolgate CLI; resolves with its exit code and stderr (never rejects). */
export const toolgate = (args: string[]) => runToolgate(args);

export { eventually };
