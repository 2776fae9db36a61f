import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { errorOf, eventually, tempDir } from '../e2e/harness.js';
import { isAlive } from './audit-gateway.js';
import {
  eventsOf,
  expectClosedLog,
  exported,
  killStarted,
  pidOf,
  startRun,
  startsOf,
  toolNames,
  tricky,
  writeConfig,
} from './signal-gateway.js';

afterEach(killStarted);

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
    expect(isAlive(keepPid) && isAlive(gonePid)).toBe(true);
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
    expect(isAlive(keepPid)).toBe(true);
    await eventually(() => !isAlive(gonePid));

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
    expect(isAlive(pid)).toBe(true);

    gw.proc.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    expect(eventsOf(gw.configPath, 'config-reload-failed').map((e) => e.event?.['reason'])).toEqual(
      ['CONFIG_INVALID', 'CONFIG_INVALID', 'CONFIG_RELOAD_REFUSED', 'LOCK_INVALID'],
    );
    expect(eventsOf(gw.configPath, 'config-reload')).toEqual([]);
    expectClosedLog(gw.configPath);
  });
});
