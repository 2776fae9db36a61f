import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  Client,
  StreamableHTTPClientTransport,
  type JSONRPCMessage,
  type Transport,
} from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { checkpointSize } from '../../src/audit/checkpoint.js';
import { startServe, type ServeProcess } from '../e2e/gateway-process.js';
import { BIN, errorOf, eventually, fixture, tempDir } from '../e2e/harness.js';

/**
 * Signals on a real `toolgate run` (stdio) and `toolgate serve` (HTTP) process: SIGHUP reloads the
 * config (all or nothing), SIGTERM/SIGINT/SIGQUIT and stdin's end shut down with a final checkpoint.
 */

type LogLine = Record<string, unknown> & {
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
const tricky = (dir: string, tools: string[], log = 'tricky.log') => ({
  command: process.execPath,
  args: [fixture('tricky')],
  env: { TRICKY_LOG: join(dir, log) },
  sandbox: { writable: [dir] },
  tools,
});

const writeConfig = (path: string, config: unknown) => writeFileSync(path, JSON.stringify(config));

const started = new Set<ChildProcess>();
afterEach(() => {
  for (const proc of started)
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  started.clear();
});

/** `toolgate run` on `config` (pins off unless a lock is beside it: `lock.required: false`), with the official client. */
const startRun = async (config: Record<string, unknown>, dir = tempDir()) => {
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

const toolNames = async (client: Client) =>
  (await client.listTools()).tools.map((t) => t.name).sort();

/** pid of the upstream `server` as its last `started` event reported it. */
const pidOf = (lines: readonly LogLine[], server: string): number | undefined =>
  lines
    .filter((l) => l.kind === 'upstream' && l.server === server && l.event?.kind === 'started')
    .at(-1)?.event?.pid;
const startsOf = (lines: readonly LogLine[], server: string) =>
  lines.filter((l) => l.kind === 'upstream' && l.server === server && l.event?.kind === 'started')
    .length;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const auditCli = (configPath: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, 'audit', ...args, '--config', configPath], {
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

/** The exported log: its entries, and the tree size of every checkpoint, in order. */
const exported = (configPath: string) => {
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
const expectClosedLog = (configPath: string) => {
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

const eventsOf = (configPath: string, kind: string) =>
  exported(configPath).entries.filter((e) => e.event?.['kind'] === kind);

describe('when toolgate run gets SIGHUP', () => {
  it('[OPS-1] applies a good new config: a newly allowed tool appears, an added server starts, a removed one stops and its tools vanish, an unchanged one keeps its process; the client is told and the audit log records the new hash', async () => {
    const dir = tempDir();
    const config = {
      lock: { required: false },
      servers: { keep: tricky(dir, ['echo'], 'keep.log'), gone: tricky(dir, ['echo'], 'gone.log') },
    };
    const gw = await startRun(config, dir);
    expect(await toolNames(gw.client)).toEqual(['gone__echo', 'keep__echo']);
    const keepPid = pidOf(gw.log.lines, 'keep') as number;
    const gonePid = pidOf(gw.log.lines, 'gone') as number;
    expect(alive(keepPid) && alive(gonePid)).toBe(true);
    const policyBefore = exported(gw.configPath).entries.at(-1)?.policy;

    writeConfig(gw.configPath, {
      lock: { required: false },
      servers: {
        keep: tricky(dir, ['echo', 'slow'], 'keep.log'),
        added: tricky(dir, ['echo'], 'added.log'),
      },
    });
    const from = gw.log.lines.length;
    gw.proc.kill('SIGHUP');
    const reloaded = await gw.log.waitFor(
      (l) =>
        l.message === 'config reloaded' || l.message?.startsWith('config reload failed') === true,
      from,
    );
    expect(reloaded).toMatchObject({
      message: 'config reloaded',
      added: ['added'],
      removed: ['gone'],
      changed: [],
      unchanged: ['keep'],
      failed: [],
    });
    await eventually(() => gw.listChanged.length > 0);

    expect(await toolNames(gw.client)).toEqual(['added__echo', 'keep__echo', 'keep__slow']);
    expect(await gw.client.callTool({ name: 'keep__slow', arguments: { ms: 3 } })).toMatchObject({
      content: [{ text: 'slept' }],
    });
    expect(
      await gw.client.callTool({ name: 'added__echo', arguments: { text: 'new' } }),
    ).toMatchObject({ content: [{ text: 'new' }] });
    expect(
      (await errorOf(gw.client.callTool({ name: 'gone__echo', arguments: { text: 'x' } }))).data
        ?.code,
    ).toBe('ROUTE_UNKNOWN_SERVER');
    expect(startsOf(gw.log.lines, 'keep')).toBe(1);
    expect(alive(keepPid)).toBe(true);
    await eventually(() => !alive(gonePid));

    await gw.client.close(); // stdin's end: a clean shutdown too
    expect(await gw.exited).toBe(0);
    const [reload] = eventsOf(gw.configPath, 'config-reload');
    expect(reload?.event).toMatchObject({
      added: ['added'],
      removed: ['gone'],
      unchanged: ['keep'],
    });
    expect(reload?.policy).not.toBe(policyBefore);
    expect(reload?.event?.['policy']).toBe(reload?.policy);
    expectClosedLog(gw.configPath);
  });

  it('[OPS-2] keeps the running config when the new one is broken, changes a field fixed at start, or comes with a broken lock; logs and audits why', async () => {
    const dir = tempDir();
    const config = {
      lock: { required: false },
      servers: { keep: tricky(dir, ['echo'], 'keep.log') },
    };
    const gw = await startRun(config, dir);
    const pid = pidOf(gw.log.lines, 'keep') as number;
    const attempt = async (write: () => void) => {
      write();
      const from = gw.log.lines.length;
      gw.proc.kill('SIGHUP');
      const line = await gw.log.waitFor(
        (l) =>
          l.message === 'config reloaded' || l.message?.startsWith('config reload failed') === true,
        from,
      );
      expect(await toolNames(gw.client)).toEqual(['keep__echo']);
      expect(
        await gw.client.callTool({ name: 'keep__echo', arguments: { text: 'still' } }),
      ).toMatchObject({ content: [{ text: 'still' }] });
      return line;
    };
    const allowMore = {
      lock: { required: false },
      servers: { keep: tricky(dir, ['echo', 'slow'], 'keep.log') },
    };

    const yaml = await attempt(() => writeFileSync(gw.configPath, 'servers: [unclosed'));
    expect(yaml).toMatchObject({
      message: expect.stringContaining('config reload failed'),
      code: 'CONFIG_INVALID',
    });
    const schema = await attempt(() =>
      writeConfig(gw.configPath, {
        ...allowMore,
        servers: { keep: { ...allowMore.servers.keep, tools: ['*', 'echo'] } },
      }),
    );
    expect(schema).toMatchObject({
      code: 'CONFIG_INVALID',
      error: expect.stringContaining('servers.keep.tools'),
    });
    // All or nothing: the allowlist change that comes with a new separator is not applied either.
    const fixed = await attempt(() => writeConfig(gw.configPath, { ...allowMore, separator: '.' }));
    expect(fixed).toMatchObject({
      code: 'CONFIG_RELOAD_REFUSED',
      error: expect.stringContaining('separator'),
    });
    const lock = await attempt(() => {
      writeConfig(gw.configPath, allowMore);
      writeFileSync(join(dir, 'toolgate.lock'), '{ not json');
    });
    expect(lock).toMatchObject({ code: 'LOCK_INVALID' });
    expect(startsOf(gw.log.lines, 'keep')).toBe(1);
    expect(alive(pid)).toBe(true);

    gw.proc.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    expect(eventsOf(gw.configPath, 'config-reload-failed').map((e) => e.event?.['reason'])).toEqual(
      ['CONFIG_INVALID', 'CONFIG_INVALID', 'CONFIG_RELOAD_REFUSED', 'LOCK_INVALID'],
    );
    expect(eventsOf(gw.configPath, 'config-reload')).toEqual([]);
    expectClosedLog(gw.configPath);
  });
});

describe('when toolgate run gets a terminating signal', () => {
  it.each(['SIGTERM', 'SIGINT', 'SIGQUIT'] as const)(
    '[OPS-3] on %s lets the call in flight finish, refuses new ones, exits 0 and ends the audit log with a checkpoint over every entry',
    async (signal) => {
      const dir = tempDir();
      const gw = await startRun(
        { lock: { required: false }, servers: { t: tricky(dir, ['echo', 'slow']) } },
        dir,
      );
      const slow = gw.client.callTool({ name: 't__slow', arguments: { ms: 3000 } });
      slow.catch(() => undefined); // awaited below; a failed test must not leave it unhandled
      const trickyLog = join(dir, 'tricky.log');
      await eventually(
        () => existsSync(trickyLog) && readFileSync(trickyLog, 'utf8').includes('tools/call slow'),
      );
      const from = gw.log.lines.length;
      gw.proc.kill(signal);
      await gw.log.waitFor((l) => l.message === 'gateway stopping', from);
      expect(
        (await errorOf(gw.client.callTool({ name: 't__echo', arguments: { text: 'late' } }))).data
          ?.code,
      ).toBe('UPSTREAM_UNAVAILABLE');
      expect(await slow).toMatchObject({ content: [{ text: 'slept' }] });
      expect(await gw.exited).toBe(0);
      const log = expectClosedLog(gw.configPath);
      expect(log.entries.at(-1)?.event).toMatchObject({ kind: 'shutdown', reason: signal });
    },
  );
});

describe('when a second terminating signal comes during the shutdown', () => {
  it('[OPS-3] exits at once with status 1 instead of waiting out the grace period', async () => {
    const dir = tempDir();
    const gw = await startRun(
      { lock: { required: false }, servers: { t: tricky(dir, ['hang']) } },
      dir,
    );
    const hang = gw.client.callTool({ name: 't__hang', arguments: {} });
    hang.catch(() => undefined); // never answered: the process goes away under it
    const trickyLog = join(dir, 'tricky.log');
    await eventually(
      () => existsSync(trickyLog) && readFileSync(trickyLog, 'utf8').includes('tools/call hang'),
    );
    const from = gw.log.lines.length;
    gw.proc.kill('SIGTERM');
    await gw.log.waitFor((l) => l.message === 'gateway stopping', from);
    gw.proc.kill('SIGTERM');
    expect(await gw.exited).toBe(1);
    expect(gw.log.lines.slice(from).map((l) => l.message)).toContain(
      'second signal during shutdown: exiting now, without the final checkpoint',
    );
    expect(gw.log.lines.map((l) => l.message)).not.toContain('gateway stopped');
  });
});

describe('when toolgate serve gets signals', () => {
  let gw: ServeProcess | undefined;
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
  });

  it('[OPS-1] [OPS-2] [OPS-3] reloads on SIGHUP (a bad config keeps the old one), shuts down on SIGINT with exit 0 and a closed audit log', async () => {
    const dir = tempDir();
    gw = await startServe({
      servers: { keep: tricky(dir, ['echo'], 'keep.log'), gone: tricky(dir, ['echo'], 'gone.log') },
    });
    const client = new Client({ name: 'signals-test', version: '1.0.0' });
    let listChanged = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => void listChanged++);
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
    expect(await toolNames(client)).toEqual(['gone__echo', 'keep__echo']);
    const stderrLines = () =>
      gw
        ?.stderr()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as LogLine) ?? [];
    const keepPid = pidOf(stderrLines(), 'keep') as number;
    const reloadOutcomes = () =>
      stderrLines().filter(
        (l) => l.message === 'config reloaded' || l.message?.startsWith('config reload failed'),
      );

    writeFileSync(gw.configFile, '{"servers": ');
    gw.proc.kill('SIGHUP');
    await eventually(() => reloadOutcomes().length === 1, 30_000);
    expect(reloadOutcomes()[0]).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(await toolNames(client)).toEqual(['gone__echo', 'keep__echo']);

    writeConfig(gw.configFile, { servers: { keep: tricky(dir, ['echo', 'slow'], 'keep.log') } });
    gw.proc.kill('SIGHUP');
    await eventually(() => reloadOutcomes().length === 2, 30_000);
    expect(reloadOutcomes()[1]).toMatchObject({
      message: 'config reloaded',
      removed: ['gone'],
      unchanged: ['keep'],
    });
    await eventually(() => listChanged > 0); // on the session's GET stream
    expect(await toolNames(client)).toEqual(['keep__echo', 'keep__slow']);
    expect(
      await client.callTool({ name: 'keep__echo', arguments: { text: 'http' } }),
    ).toMatchObject({ content: [{ text: 'http' }] });
    expect(pidOf(stderrLines(), 'keep')).toBe(keepPid);
    expect(alive(keepPid)).toBe(true);

    const proc = gw.proc;
    const exited = new Promise<number | null>((resolve) =>
      proc.once('exit', (code) => resolve(code)),
    );
    proc.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderrLines().at(-1)).toMatchObject({ message: 'gateway stopped', reason: 'SIGINT' });
    expect(eventsOf(gw.configFile, 'config-reload-failed')).toHaveLength(1);
    expect(eventsOf(gw.configFile, 'config-reload')).toHaveLength(1);
    expectClosedLog(gw.configFile);
  });
});
