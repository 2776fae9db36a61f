/**
 * Issue #19, item 1: a server chooses what is bound into its next sandbox. Its file argument lives
 * in its writable folder; it replaces the file with a symlink to a host secret and exits. On restart
 * toolgate used to resolve the link and bind the target's folder read-only (the secret became
 * readable), or, for a target the sandbox uid cannot traverse, bwrap failed to start at all.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  eventually,
  fixture,
  runToolgate,
  startStdioGateway,
  tempDir,
  type Running,
} from '../e2e/harness.js';

const SECRET = 'host-secret-5d1e-never-in-a-sandbox';

const toolgate = (args: string[]) => runToolgate(args);

/** A server whose file argument lives in its writable folder, and a host secret it must never read. */
const rig = () => {
  const dir = tempDir();
  const data = join(dir, 'data');
  mkdirSync(data);
  chmodSync(data, 0o777);
  const notes = join(data, 'notes.txt');
  writeFileSync(notes, 'my notes', { mode: 0o666 });
  // World-readable, as many host files are: only the sandbox's missing bind keeps it from the server.
  const vault = join(tempDir(), 'vault');
  mkdirSync(vault, { mode: 0o755 });
  const secret = join(vault, 'secret.txt');
  writeFileSync(secret, SECRET, { mode: 0o644 });
  // A folder the sandbox uid cannot traverse: binding from it makes bwrap fail.
  const closed = join(tempDir(), 'closed');
  mkdirSync(closed, { mode: 0o700 });
  writeFileSync(join(closed, 'file.txt'), 'root only', { mode: 0o600 });
  const config = join(dir, 'toolgate.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      servers: {
        steer: {
          command: process.execPath,
          args: [fixture('steer'), notes],
          tools: ['*'],
          sandbox: { writable: [data], memoryMb: 2048 },
          restart: { maxRetries: 20, initialDelayMs: 50, maxDelayMs: 200, startTimeoutMs: 30_000 },
        },
      },
    }),
  );
  return { dir, config, notes, secret, closed: join(closed, 'file.txt') };
};

type Report = { ok?: boolean; value?: unknown; error?: string };
const call = async (
  gw: Running,
  name: string,
  args: Record<string, unknown> = {},
): Promise<Report> => {
  const result = await gw.client.callTool({ name: `steer__${name}`, arguments: args });
  return JSON.parse((result.content as Array<{ text: string }>)[0]?.text ?? 'null') as Report;
};
const upstreamEvents = (gw: Running, kind: string) =>
  gw.stderr.filter((line) => {
    try {
      return (JSON.parse(line) as { event?: { kind?: string } }).event?.kind === kind;
    } catch {
      return false;
    }
  }).length;
/** Plants the link, then exits so the gateway restarts the server; resolves once it has exited. */
const steerAndRestart = async (gw: Running, link: string, target: string): Promise<number> => {
  expect(await call(gw, 'plant', { link, target })).toMatchObject({ ok: true });
  const exited = upstreamEvents(gw, 'exited');
  const started = upstreamEvents(gw, 'started');
  await call(gw, 'exit');
  await eventually(() => upstreamEvents(gw, 'exited') > exited, 30_000);
  return started;
};
/** Waits for the restart after `started` starts; says why when it never comes. */
const restarted = (gw: Running, started: number) =>
  eventually(() => upstreamEvents(gw, 'started') > started, 30_000).catch(() => {
    throw new Error(`the server did not start again:\n${gw.stderr.slice(-10).join('\n')}`);
  });

let gw: Running | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('when a server replaces its file argument with a symlink and restarts', () => {
  it('[SBX-13] with the lock enforced, refuses the start with SANDBOX_ARGUMENT_CHANGED and binds nothing from it', async () => {
    const r = rig();
    const locked = await toolgate(['lock', '--config', r.config]);
    expect(locked.code, locked.stderr).toBe(0);
    const lock = JSON.parse(readFileSync(join(r.dir, 'toolgate.lock'), 'utf8')) as {
      servers: { steer: { arguments?: Record<string, string> } };
    };
    expect(lock.servers.steer.arguments?.[r.notes]).toBe(r.notes);
    const running = (gw = await startStdioGateway({}, { lock: { dir: r.dir } }));
    expect(await call(running, 'read', { path: r.notes })).toEqual({ ok: true, value: 'my notes' });

    await steerAndRestart(running, r.notes, r.secret);
    let refusal = '';
    await eventually(async () => {
      const result = await running.client
        .callTool({ name: 'steer__read', arguments: { path: r.secret } })
        .catch((error: Error) => error);
      refusal = result instanceof Error ? result.message : JSON.stringify(result);
      return refusal.includes('SANDBOX_ARGUMENT_CHANGED');
    }, 30_000);
    expect(refusal).not.toContain(SECRET);
    expect(running.stderr.join('\n')).not.toContain(SECRET);
    const pin = running.stderr
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((e) => e['kind'] === 'pin' && e['item'] === 'arguments');
    expect(pin).toMatchObject({ server: 'steer', code: 'SANDBOX_ARGUMENT_CHANGED' });
  }, 150_000);

  it('[SBX-14] without a lock, derives no bind from its writable folder: the secret stays unreadable and an untraversable target cannot stop the start', async () => {
    const r = rig();
    const running = (gw = await startStdioGateway(
      JSON.parse(readFileSync(r.config, 'utf8')) as Record<string, unknown>,
    ));
    expect(await call(running, 'read', { path: r.notes })).toEqual({ ok: true, value: 'my notes' });

    await restarted(running, await steerAndRestart(running, r.notes, r.secret));
    // Its link points into its own view, where the host target is absent.
    expect(await call(running, 'read', { path: r.secret })).toMatchObject({
      ok: false,
      error: expect.stringContaining('ENOENT'),
    });
    expect(await call(running, 'read', { path: r.notes })).toMatchObject({ ok: false });
    expect(running.stderr.join('\n')).not.toContain(SECRET);

    await restarted(running, await steerAndRestart(running, r.notes, r.closed));
    expect(await call(running, 'read', { path: r.closed })).toMatchObject({ ok: false });
    expect(upstreamEvents(running, 'failed')).toBe(0);
  }, 150_000);
});

describe('when binds come from file arguments and configured paths', () => {
  it('[SBX-14] binds a data file argument as that file alone, and refuses a configured bind nested in a writable folder', async () => {
    const shared = join(tempDir(), 'shared');
    mkdirSync(shared, { mode: 0o755 });
    const data = join(shared, 'data.txt');
    writeFileSync(data, 'shared data', { mode: 0o644 });
    const sibling = join(shared, 'sibling.txt');
    writeFileSync(sibling, SECRET, { mode: 0o644 });
    const writable = join(tempDir(), 'writable');
    mkdirSync(join(writable, 'inner'), { recursive: true, mode: 0o777 });
    const server = { command: process.execPath, tools: ['*'], sandbox: { memoryMb: 2048 } };
    const running = (gw = await startStdioGateway({
      servers: {
        steer: { ...server, args: [fixture('steer'), data] },
        nested: {
          ...server,
          args: [fixture('steer')],
          sandbox: { memoryMb: 2048, writable: [writable], readOnly: [join(writable, 'inner')] },
          restart: { maxRetries: 0 },
        },
      },
    }));
    expect(await call(running, 'read', { path: data })).toEqual({ ok: true, value: 'shared data' });
    expect(await call(running, 'read', { path: sibling })).toMatchObject({
      ok: false,
      error: expect.stringContaining('ENOENT'),
    });
    const refused = await running.client
      .callTool({ name: 'nested__args', arguments: {} })
      .catch((error: Error) => error);
    expect(refused instanceof Error ? refused.message : JSON.stringify(refused)).toContain(
      'SANDBOX_BIND_WRITABLE',
    );
  }, 150_000);
});
