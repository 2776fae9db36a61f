import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  fixture,
  npmServer,
  startStdioGateway,
  tempDir,
  type Running,
} from './harness.js';

/** A hostile tool's JSON report. */
const call = async (
  gw: Running,
  name: string,
  args: Record<string, unknown> = {},
): Promise<Record<string, unknown>> => {
  const result = await gw.client.callTool({ name, arguments: args });
  const text = (result.content as Array<{ text: string }>)[0]?.text ?? 'null';
  return JSON.parse(text) as Record<string, unknown>;
};
const hostile = (extra: Record<string, unknown> = {}) => ({
  command: process.execPath,
  args: [fixture('hostile')],
  tools: ['*'],
  ...extra,
});
type Logged = Record<string, unknown> & { server?: string | undefined };
const events = (gw: Running, kind: string): Logged[] =>
  gw.stderr.flatMap((line): Logged[] => {
    try {
      const parsed = JSON.parse(line) as { server?: string; event?: Record<string, unknown> };
      return parsed.event?.['kind'] === kind ? [{ ...parsed.event, server: parsed.server }] : [];
    } catch {
      return [];
    }
  });

describe('when real npm servers run sandboxed', () => {
  let gw: Running;
  let files: string;
  let memory: string;
  beforeAll(async () => {
    files = tempDir();
    memory = tempDir();
    writeFileSync(join(files, 'hello.txt'), 'hello from disk');
    gw = await startStdioGateway({
      servers: {
        files: {
          command: process.execPath,
          args: [npmServer('server-filesystem'), files],
          tools: ['read_text_file', 'write_file', 'list_directory'],
          sandbox: { writable: [files] },
        },
        memory: {
          command: process.execPath,
          args: [npmServer('server-memory')],
          env: { MEMORY_FILE_PATH: join(memory, 'memory.jsonl') },
          tools: ['create_entities', 'read_graph'],
          sandbox: { writable: [memory] },
        },
        everything: {
          command: process.execPath,
          args: [npmServer('server-everything'), 'stdio'],
          tools: ['echo', 'get-sum'],
        },
      },
    });
  });
  afterAll(() => gw.close());

  it('[SBX-1] starts every stdio server in bubblewrap by default and they still work', async () => {
    await eventually(() => events(gw, 'started').length === 3, 30_000);
    const sandboxes = events(gw, 'sandbox');
    expect(sandboxes.map((e) => e.server).sort()).toEqual(['everything', 'files', 'memory']);
    expect(sandboxes.every((e) => e['mode'] === 'bubblewrap' && e['seccomp'] === true)).toBe(true);
    expect(
      await gw.client.callTool({ name: 'everything__echo', arguments: { message: 'hi' } }),
    ).toMatchObject({ content: [{ text: 'Echo: hi' }] });
    const read = await gw.client.callTool({
      name: 'files__read_text_file',
      arguments: { path: join(files, 'hello.txt') },
    });
    expect(JSON.stringify(read.content)).toContain('hello from disk');
    await gw.client.callTool({
      name: 'files__write_file',
      arguments: { path: join(files, 'new.txt'), content: 'written in the sandbox' },
    });
    expect(readFileSync(join(files, 'new.txt'), 'utf8')).toBe('written in the sandbox');
    await gw.client.callTool({
      name: 'memory__create_entities',
      arguments: { entities: [{ name: 'tg', entityType: 'gateway', observations: ['sandboxed'] }] },
    });
    expect(
      JSON.stringify(await gw.client.callTool({ name: 'memory__read_graph', arguments: {} })),
    ).toContain('sandboxed');
    expect(readFileSync(join(memory, 'memory.jsonl'), 'utf8')).toContain('sandboxed');
  });
});

describe('when a hostile server runs sandboxed', () => {
  let gw: Running;
  let home: string;
  let allowed: string;
  let outside: string;
  let secretFile: string;
  let web: Server;
  let port: number;
  const requests: string[] = [];
  beforeAll(async () => {
    home = tempDir();
    writeFileSync(join(home, '.netrc'), 'machine example.com password hunter2-host-secret');
    const parent = tempDir();
    allowed = join(parent, 'allowed');
    outside = join(parent, 'outside');
    for (const dir of [allowed, outside]) {
      mkdirSync(dir);
      chmodSync(dir, 0o777);
    }
    secretFile = join(tempDir(), 'b-token');
    writeFileSync(secretFile, 'b-secret-value-7f3a\n');
    web = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      if (req.url === '/redirect') res.writeHead(302, { location: 'http://denied.test/' }).end();
      else res.end('hello from the allowed host');
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    port = (web.address() as AddressInfo).port;
    gw = await startStdioGateway(
      {
        servers: {
          a: hostile({
            // 2048: Node 24's V8 alone reserves more than 1 GiB of address space at start.
            sandbox: { writable: [allowed], processes: 64, memoryMb: 2048 },
            secrets: { A_TOKEN: { env: 'GATEWAY_A_TOKEN' } },
            egress: {
              allow: ['allowed.test', 'private.test', 'metadata.test'],
              allowPrivate: ['allowed.test'],
              ports: [port],
              resolve: {
                'allowed.test': '127.0.0.1',
                'private.test': '10.1.2.3',
                'metadata.test': '169.254.169.254',
              },
            },
            limits: { callTimeoutMs: 30_000 },
          }),
          spinner: hostile({
            sandbox: { cpuSeconds: 3 },
            limits: { callTimeoutMs: 60_000 },
            restart: {
              maxRetries: 5,
              initialDelayMs: 100,
              maxDelayMs: 500,
              startTimeoutMs: 30_000,
            },
          }),
          b: hostile({ secrets: { B_TOKEN: { file: secretFile } } }),
          open: hostile({ sandbox: false }),
        },
      },
      { env: { HOME: home, GATEWAY_A_TOKEN: 'a-secret-value-91c2' } },
    );
    // Servers start in the background; on a loaded machine that takes a while. Say why if one never does.
    await eventually(
      () =>
        ['a', 'b', 'open', 'spinner'].every((id) =>
          events(gw, 'started').some((e) => e.server === id),
        ),
      60_000,
    ).catch(() => {
      throw new Error(`hostile servers did not all start:\n${gw.stderr.slice(-30).join('\n')}`);
    });
  }, 150_000);
  afterAll(async () => {
    await gw.close();
    web.close();
  });

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

describe('when the sandbox cannot be built', () => {
  it('[SBX-8] fails closed: the server does not start and the log says why and how to fix it', async () => {
    const gw = await startStdioGateway(
      {
        servers: {
          a: hostile({
            restart: {
              maxRetries: 0,
              initialDelayMs: 100,
              maxDelayMs: 100,
              startTimeoutMs: 30_000,
            },
          }),
        },
      },
      { env: { PATH: '/nonexistent' } },
    );
    try {
      await expect(gw.client.callTool({ name: 'a__whoami', arguments: {} })).rejects.toMatchObject({
        data: { code: 'UPSTREAM_UNAVAILABLE' },
      });
      await eventually(() => gw.stderr.some((l) => l.includes('bwrap (bubblewrap) not found')));
      expect(gw.stderr.join('\n')).toContain('apt-get install -y bubblewrap');
      expect(events(gw, 'sandbox')).toEqual([]);
    } finally {
      await gw.close();
    }
  });

  it('[SBX-8] refuses to start a server whose configured sandbox path does not exist, naming it', async () => {
    const gw = await startStdioGateway({
      servers: {
        a: hostile({
          sandbox: { writable: ['/nonexistent/toolgate-dir'] },
          restart: { maxRetries: 0, initialDelayMs: 100, maxDelayMs: 100, startTimeoutMs: 30_000 },
        }),
      },
    });
    try {
      // A config mistake no retry fixes: failed at once, naming the path (FAIL-3).
      await eventually(
        () =>
          events(gw, 'failed').some(
            (e) =>
              e['code'] === 'SANDBOX_UNAVAILABLE' &&
              String(e['reason']).includes('sandbox path /nonexistent/toolgate-dir does not exist'),
          ),
        30_000,
      );
      expect(events(gw, 'started')).toEqual([]);
      expect(events(gw, 'restarting')).toEqual([]);
    } finally {
      await gw.close();
    }
  });
});
