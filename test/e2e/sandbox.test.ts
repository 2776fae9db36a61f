import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, fixture, type Running } from './harness.js';
import { call, events, startHostileRig, type HostileRig } from './hostile-rig.js';

describe('when a hostile server runs sandboxed', () => {
  let rig: HostileRig;
  let gw: Running;
  let home: string;
  let allowed: string;
  let outside: string;
  let secretFile: string;
  let port: number;
  let requests: readonly string[];
  beforeAll(async () => {
    rig = await startHostileRig();
    ({ gw, home, allowed, outside, secretFile, port, requests } = rig);
  }, 150_000);
  afterAll(() => rig.close());

  it('[SBX-2] runs unprivileged: no capabilities, no new privileges, seccomp on, its own pid namespace', async () => {
    const me = await call(gw, 'a__whoami');
    expect(me['uid']).not.toBe(0);
    expect(me['home']).toBe('/home/sandbox');
    expect(me['status']).toEqual(
      expect.arrayContaining([
        'NoNewPrivs:\t1',
        'Seccomp:\t2',
        'CapEff:\t0000000000000000',
        'CapBnd:\t0000000000000000',
      ]),
    );
    expect(me['pids']).toBeLessThan(6);
  });

  it('[SBX-3] cannot read a planted secret in the host home (the unsandboxed control can)', async () => {
    const path = join(home, '.netrc');
    expect(await call(gw, 'a__read', { path })).toMatchObject({ ok: false });
    expect(await call(gw, 'a__list', { path: home })).toMatchObject({ ok: false });
    expect(await call(gw, 'open__read', { path })).toMatchObject({
      ok: true,
      value: expect.stringContaining('hunter2'),
    });
    expect(events(gw, 'sandbox').find((e) => e.server === 'open')).toMatchObject({
      mode: 'off',
      warning: expect.stringContaining('UNSANDBOXED'),
    });
  });

  it('[SBX-4] writes only inside its writable path: not outside, not via "..", not via a symlink', async () => {
    expect(
      await call(gw, 'a__write', { path: join(allowed, 'ok.txt'), content: 'fine' }),
    ).toMatchObject({ ok: true });
    expect(readFileSync(join(allowed, 'ok.txt'), 'utf8')).toBe('fine');
    expect(
      await call(gw, 'a__write', { path: join(outside, 'x.txt'), content: 'escape' }),
    ).toMatchObject({ ok: false });
    expect(
      await call(gw, 'a__write', { path: `${allowed}/../outside/dotdot.txt`, content: 'escape' }),
    ).toMatchObject({ ok: false });
    expect(
      await call(gw, 'a__symlink-write', {
        link: join(allowed, 'link'),
        target: join(outside, 'via-link.txt'),
        content: 'escape',
      }),
    ).toMatchObject({ ok: false });
    expect(
      await call(gw, 'a__write', { path: fixture('hostile'), content: 'overwrite my own code' }),
    ).toMatchObject({ ok: false, error: expect.stringContaining('read-only') });
    // /tmp is the sandbox's own tmpfs: a write "succeeds" but never reaches the host.
    const tmpName = `/tmp/toolgate-sbx-${process.pid}.txt`;
    await call(gw, 'a__write', { path: tmpName, content: 'x' });
    for (const path of [
      join(outside, 'x.txt'),
      join(outside, 'dotdot.txt'),
      join(outside, 'via-link.txt'),
      tmpName,
    ])
      expect(existsSync(path)).toBe(false);
  });

  it('[CRED-1] gets its own secret only; another server cannot read it; echoes are redacted', async () => {
    const a = await call(gw, 'a__env', { name: 'A_TOKEN' });
    expect(a['value']).toBe('[REDACTED:A_TOKEN]');
    const b = await call(gw, 'b__env', {
      name: 'A_TOKEN',
      needleReversed: [...'a-secret-value-91c2'].reverse().join(''),
    });
    expect(b).toEqual({ value: null, seenElsewhere: false });
    // The control: B does find a needle that is in its own environment.
    expect(
      await call(gw, 'b__env', {
        name: 'B_TOKEN',
        needleReversed: [...'b-secret-value'].reverse().join(''),
      }),
    ).toMatchObject({ seenElsewhere: true });
    expect(await call(gw, 'a__read', { path: secretFile })).toMatchObject({ ok: false });
    expect((await call(gw, 'a__env', { name: 'B_TOKEN' }))['value']).toBeNull();
    expect((await call(gw, 'b__env', { name: 'B_TOKEN' }))['value']).toBe('[REDACTED:B_TOKEN]');
    // The unsandboxed control sees neither in its environment (only what its config gives it).
    expect((await call(gw, 'open__env', { name: 'GATEWAY_A_TOKEN' }))['value']).toBeNull();
    expect(gw.stderr.join('\n')).not.toMatch(/a-secret-value|b-secret-value/);
  });

  it('[EGR-1] cannot connect to a loopback listener of the host directly', async () => {
    expect(await call(gw, 'a__connect', { host: '127.0.0.1', port })).toMatchObject({ ok: false });
    expect(await call(gw, 'open__connect', { host: '127.0.0.1', port })).toMatchObject({
      ok: true,
    });
  });

  it('[EGR-2] reaches an allowlisted host through the proxy, over plain HTTP and CONNECT', async () => {
    const before = requests.length;
    expect(await call(gw, 'a__fetch', { url: `http://allowed.test:${port}/hello` })).toMatchObject({
      ok: true,
      value: { status: 200, body: 'hello from the allowed host' },
    });
    expect(requests.slice(before)).toEqual(['GET /hello']);
    expect(await call(gw, 'a__tunnel', { target: `allowed.test:${port}` })).toMatchObject({
      ok: true,
      value: '200',
    });
  });

  it('[EGR-3] is refused a host that is not on its allowlist, and a server without one has no egress', async () => {
    expect(await call(gw, 'a__fetch', { url: `http://example.com:${port}/` })).toMatchObject({
      ok: true,
      value: { status: 403, code: 'EGRESS_HOST_DENIED' },
    });
    expect(await call(gw, 'a__tunnel', { target: `example.com:${port}` })).toMatchObject({
      ok: true,
      value: '403 EGRESS_HOST_DENIED',
    });
    expect(await call(gw, 'a__fetch', { url: `http://allowed.test:1/` })).toMatchObject({
      value: { status: 403, code: 'EGRESS_PORT_DENIED' },
    });
    expect(await call(gw, 'b__fetch', { url: `http://allowed.test:${port}/` })).toMatchObject({
      ok: false,
    });
  });

  it('[EGR-4] is refused an allowlisted name that resolves to a private or metadata address', async () => {
    expect(await call(gw, 'a__fetch', { url: `http://private.test:${port}/` })).toMatchObject({
      value: { status: 403, code: 'EGRESS_ADDRESS_DENIED' },
    });
    expect(await call(gw, 'a__tunnel', { target: `metadata.test:${port}` })).toMatchObject({
      value: '403 EGRESS_ADDRESS_DENIED',
    });
  });

  it('[EGR-5] a plain-HTTP redirect to a host it may not reach is refused', async () => {
    expect(
      await call(gw, 'a__fetch', { url: `http://allowed.test:${port}/redirect` }),
    ).toMatchObject({ value: { status: 403, code: 'EGRESS_REDIRECT_DENIED' } });
  });

  it('[EGR-6] logs every egress decision', async () => {
    await eventually(() =>
      events(gw, 'egress').some((e) => e['code'] === 'EGRESS_REDIRECT_DENIED'),
    );
    const logged = events(gw, 'egress');
    expect(logged).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          server: 'a',
          decision: 'allow',
          host: 'allowed.test',
          address: '127.0.0.1',
        }),
        expect.objectContaining({
          server: 'a',
          decision: 'deny',
          host: 'example.com',
          code: 'EGRESS_HOST_DENIED',
        }),
        expect.objectContaining({
          server: 'a',
          decision: 'deny',
          host: 'private.test',
          code: 'EGRESS_ADDRESS_DENIED',
          address: '10.1.2.3',
        }),
      ]),
    );
  });

  it('[SBX-5] a fork bomb stops at the process limit', async () => {
    const bomb = await call(gw, 'a__forkbomb', { max: 150 });
    expect(bomb['started']).toBeLessThan(64);
    expect(bomb['failed']).toBeGreaterThan(0);
  });

  it('[SBX-6] a memory hog stops at the memory limit', async () => {
    const hog = await call(gw, 'a__hog', { maxMb: 8192 });
    expect(hog['allocatedMb']).toBeLessThan(2048);
    expect(hog['error']).toEqual(expect.any(String));
  });

  it('[SBX-7] an endless loop is stopped by the CPU limit with a clear reason, then the server is restarted', async () => {
    await expect(
      gw.client.callTool({ name: 'spinner__spin', arguments: {} }),
    ).rejects.toMatchObject({ data: { code: 'UPSTREAM_CRASHED' } });
    await eventually(
      () =>
        events(gw, 'crashed').some(
          (e) => e.server === 'spinner' && String(e['reason']).includes('SANDBOX_LIMIT_EXCEEDED'),
        ),
      30_000,
    );
    expect(events(gw, 'exited').find((e) => e.server === 'spinner')).toMatchObject({
      reason: expect.stringContaining('CPU time limit'),
    });
    await eventually(async () => {
      try {
        return (await call(gw, 'spinner__whoami'))['home'] === '/home/sandbox';
      } catch {
        return false;
      }
    }, 30_000);
  });
});
