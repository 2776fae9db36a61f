import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from '../e2e/gateway-process.js';
import { errorOf, eventually, tempDir } from '../e2e/harness.js';
import { isAlive } from './audit-gateway.js';
import {
  eventsOf,
  expectClosedLog,
  killStarted,
  pidOf,
  startRun,
  toolNames,
  tricky,
  writeConfig,
  type LogLine,
} from './signal-gateway.js';

afterEach(killStarted);

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
    expect(isAlive(keepPid)).toBe(true);

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
