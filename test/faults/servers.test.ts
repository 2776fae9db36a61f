import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, tempDir } from '../e2e/harness.js';
import { eventually, faultConfig, faulty, startFaultGateway, toolgate } from './fault-gateway.js';

/**
 * A broken server is that server's error, never the gateway's: for each way a server can break, a
 * real `toolgate run` with the broken server beside a good one. The common checks (good server
 * answers, gateway up, every answer logged with its code, `audit verify` passes) are in
 * fault-gateway/gateway.ts.
 */
const quickRestart = { maxRetries: 2, initialDelayMs: 50, maxDelayMs: 100, startTimeoutMs: 20_000 };

describe('when a server breaks', () => {
  it('[FAIL-1] one that exits at once is retried with backoff, then failed; its calls get UPSTREAM_UNAVAILABLE', async () => {
    const f = await startFaultGateway(faulty('exit', { restart: quickRestart }));
    await eventually(() => f.events('failed').length === 1, 30_000);
    expect(f.events('restarting').map((e) => e['attempt'])).toEqual([1, 2]);
    expect(f.events('failed')[0]?.['reason']).toBe('gave up after 2 restarts');
    const error = await f.callBad();
    expect(error).toMatchObject({ data: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(error?.message).toMatch(/server "bad" is unavailable \(failed\)/);
    await f.assertContained();
  });

  it('[FAIL-1] one that writes garbage to stdout: the junk is refused frame by frame, the cut-off answer is UPSTREAM_INVALID_RESPONSE', async () => {
    const f = await startFaultGateway(faulty('garbage'));
    const error = await f.callBad();
    expect(error).toMatchObject({ data: { code: 'UPSTREAM_INVALID_RESPONSE' } });
    expect(error?.message).toMatch(
      /server "bad" sent an unreadable tools\/call response \(FRAME_PARSE_ERROR\)/,
    );
    await eventually(() => f.events('refused-frame').length >= 1);
    // The server is still up and serving; only its answers were junk.
    expect(f.events('crashed')).toEqual([]);
    await f.assertContained();
  });

  it('[FAIL-1] one that writes 70 KB lines over its 64 KiB limit: the answer is LIMIT_MESSAGE_TOO_LARGE, never buffered whole', async () => {
    const f = await startFaultGateway(faulty('huge', { limits: { maxMessageBytes: 64 * 1024 } }));
    const error = await f.callBad();
    expect(error).toMatchObject({ data: { code: 'LIMIT_MESSAGE_TOO_LARGE' } });
    expect(error?.message).toMatch(/exceeds the limit of 65536/);
    expect(f.events('crashed')).toEqual([]);
    await f.assertContained();
  });

  it('[FAIL-1] one that never answers: LIMIT_TIMEOUT after callTimeoutMs, and it stays up while it answers pings', async () => {
    const f = await startFaultGateway(faulty('silent', { limits: { callTimeoutMs: 500 } }));
    expect(await f.callBad()).toMatchObject({ code: -32001, data: { code: 'LIMIT_TIMEOUT' } });
    expect(await f.callBad()).toMatchObject({ code: -32001, data: { code: 'LIMIT_TIMEOUT' } });
    expect(f.events('hung')).toEqual([]);
    await f.assertContained();
  });

  it('[FAIL-1] one that answers once then hangs: LIMIT_TIMEOUT, found hung, killed and restarted, then answers again', async () => {
    const f = await startFaultGateway(
      faulty('once', { limits: { callTimeoutMs: 500 }, restart: quickRestart }),
    );
    expect(await f.callBad()).toBeUndefined();
    expect(await f.callBad()).toMatchObject({ code: -32001, data: { code: 'LIMIT_TIMEOUT' } });
    await eventually(
      () => f.events('hung').length === 1 && f.events('started').length === 2,
      30_000,
    );
    expect(await f.callBad()).toBeUndefined(); // the fresh process answers its one answer
    await f.assertContained();
  });

  it('[FAIL-1] one that crashes mid-call: UPSTREAM_CRASHED for the call, and it is restarted', async () => {
    const f = await startFaultGateway(faulty('crash', { restart: quickRestart }));
    const error = await f.callBad();
    expect(error).toMatchObject({ data: { code: 'UPSTREAM_CRASHED' } });
    expect(error?.message).toBe('server "bad" went away during tools/call');
    await eventually(() => f.events('started').length === 2, 30_000);
    expect(f.events('crashed')).toHaveLength(1);
    await f.assertContained();
  });
});

describe('when a server cannot be sandboxed', () => {
  /** The fixture copied under a folder only root may enter (0700): bwrap, running as the sandbox user, cannot bind it. */
  const unreachable = () => {
    const parent = tempDir();
    const locked = join(parent, 'private');
    mkdirSync(join(locked, 'pkg'), { recursive: true });
    chmodSync(locked, 0o700);
    const script = join(locked, 'pkg', 'faulty.js');
    copyFileSync(fixture('faulty'), script);
    return script;
  };

  // As root, toolgate finds the untraversable folder before bwrap does (SBX-17): the failure is the
  // same server-only, unretried one FAIL-2 asks for, with a message that names the folder.
  it('[FAIL-2] [SBX-17] its start fails once with SANDBOX_UNREACHABLE naming the folder, is not retried, and the gateway serves the others', async () => {
    const script = unreachable();
    const f = await startFaultGateway(faulty('', { args: [script], restart: quickRestart }));
    await eventually(() => f.events('failed').length === 1, 30_000);
    const failed = f.events('failed')[0] as { code?: string; reason?: string };
    expect(failed.code).toBe('SANDBOX_UNREACHABLE');
    expect(failed.reason).toMatch(
      /^SANDBOX_UNREACHABLE: server "bad": its sandbox runs as uid \d+, which cannot reach .*private\/pkg: .*private is mode 0700/,
    );
    expect(f.events('restarting')).toEqual([]);
    const error = await f.callBad();
    expect(error).toMatchObject({ data: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(error?.message).toMatch(/server "bad" is unavailable \(failed\): SANDBOX_UNREACHABLE: /);
    expect(f.events('failed')).toHaveLength(1); // no second attempt
    await f.assertContained();
  });

  it("[FAIL-2] [SBX-17] toolgate lock ends with that server's SANDBOX_UNREACHABLE, not a crash", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'toolgate.yaml'),
      JSON.stringify(faultConfig(faulty('', { args: [unreachable()] }))),
    );
    const locked = await toolgate(['lock', '--config', join(dir, 'toolgate.yaml')]);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(
      /^toolgate: bad: SANDBOX_UNREACHABLE: server "bad": its sandbox runs as uid \d+, which cannot reach .*private\/pkg/m,
    );
    expect(locked.stderr).not.toMatch(/ECONNRESET|Unhandled|node:events/);
  });
});
