import { mkdtempSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outbound } from '../core/outbound.js';
import type { Resolver } from './destination.js';
import { startEgressProxy, type EgressEvent, type EgressProxy } from './proxy.js';

/** A GET through the proxy's Unix socket, as a proxy-aware client sends it. */
const get = (socketPath: string, url: string) =>
  new Promise<{ status: number; code: string; body: string }>((resolve, reject) => {
    const req = request(
      {
        socketPath,
        path: url,
        headers: { host: url.startsWith('http') ? new URL(url).host : 'x' },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            code: String(res.headers['x-toolgate-egress'] ?? ''),
            body,
          }),
        );
      },
    );
    req.once('error', reject);
    req.end();
  });

describe('when the egress proxy resolves names itself', () => {
  let web: Server;
  let port: number;
  let proxy: EgressProxy;
  let socketPath: string;
  const events: EgressEvent[] = [];
  // An injected resolver: the answers an attacker-controlled DNS zone could give.
  const answers: Record<string, string[]> = {};
  const resolver: Resolver = async (host) => {
    const found = answers[host];
    if (!found) throw new Error('NXDOMAIN');
    return found;
  };

  beforeAll(async () => {
    web = createServer((_req, res) => res.end('upstream says hi'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    port = (web.address() as AddressInfo).port;
    Object.assign(answers, {
      'ok.test': ['127.0.0.1'],
      'rebind.test': ['93.184.216.34', '10.9.9.9'],
      'internal.test': ['192.168.0.10'],
    });
    socketPath = join(mkdtempSync(join(tmpdir(), 'toolgate-proxy-test-')), 'p.sock');
    proxy = await startEgressProxy({
      config: {
        allow: ['ok.test', 'rebind.test', 'internal.test', 'nxdomain.test'],
        allowPrivate: ['ok.test'],
        ports: [port],
        resolve: {},
      },
      socketPath,
      resolver,
      onEvent: (e) => {
        events.push(e);
        return Promise.resolve();
      },
      outbound: { commit: () => undefined },
    });
  });
  afterAll(async () => {
    await proxy.close();
    web.close();
  });

  it('[EGR-8] connects to the address it checked', async () => {
    expect(await get(socketPath, `http://ok.test:${port}/`)).toMatchObject({
      status: 200,
      body: 'upstream says hi',
    });
    expect(events.at(-1)).toMatchObject({
      decision: 'allow',
      host: 'ok.test',
      address: '127.0.0.1',
    });
  });

  it('[EGR-8] refuses a name with any private answer (DNS rebinding), even if another answer is allowed', async () => {
    answers['rebind.test'] = ['93.184.216.34', '10.9.9.9'];
    expect(await get(socketPath, `http://rebind.test:${port}/`)).toMatchObject({
      status: 403,
      code: 'EGRESS_ADDRESS_DENIED',
    });
  });

  it('[EGR-8] refuses a name that resolves to a private address, and one that does not resolve', async () => {
    expect(await get(socketPath, `http://internal.test:${port}/`)).toMatchObject({
      status: 403,
      code: 'EGRESS_ADDRESS_DENIED',
    });
    expect(await get(socketPath, `http://nxdomain.test:${port}/`)).toMatchObject({
      status: 502,
      code: 'EGRESS_DNS_FAILED',
    });
    expect(events.filter((e) => e.decision === 'deny').map((e) => e.host)).toEqual(
      expect.arrayContaining(['internal.test', 'nxdomain.test']),
    );
  });

  it('[EGR-8] refuses requests that are not proxy requests', async () => {
    expect(await get(socketPath, '/relative')).toMatchObject({
      status: 400,
      code: 'EGRESS_BAD_REQUEST',
    });
  });
});

describe('when the egress decisions go to the audit log', () => {
  let web: Server;
  let port: number;
  const hits: string[] = [];
  beforeAll(async () => {
    web = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.end('reached');
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    port = (web.address() as AddressInfo).port;
  });
  afterAll(() => web.close());

  const proxyWith = async (
    onEvent: (e: EgressEvent) => Promise<void>,
    outbound: Outbound = { commit: () => undefined },
  ) => {
    const socketPath = join(mkdtempSync(join(tmpdir(), 'toolgate-proxy-test-')), 'p.sock');
    const proxy = await startEgressProxy({
      config: {
        allow: ['ok.test'],
        allowPrivate: ['ok.test'],
        ports: [port],
        resolve: { 'ok.test': '127.0.0.1' },
      },
      socketPath,
      onEvent,
      outbound,
    });
    return { proxy, socketPath };
  };

  it('[AUD-1] connects only once the allow decision is recorded', async () => {
    let release = (): void => undefined;
    let decided: () => void = () => undefined;
    const firstDecided = new Promise<void>((resolve) => (decided = resolve));
    const events: EgressEvent[] = [];
    // The first decision's record is held; later ones are recorded at once.
    const { proxy, socketPath } = await proxyWith((e) => {
      events.push(e);
      if (events.length > 1) return Promise.resolve();
      decided();
      return new Promise<void>((resolve) => (release = resolve));
    });
    const answer = get(socketPath, `http://ok.test:${port}/slow-record`);
    await firstDecided;
    // A later request, decided and recorded after the held one, goes all the way through: the proxy
    // had every chance to connect the first; only its unrecorded decision holds it back.
    expect(await get(socketPath, `http://ok.test:${port}/recorded`)).toMatchObject({ status: 200 });
    expect(events.map((e) => e.decision)).toEqual(['allow', 'allow']);
    expect(hits).toContain('/recorded');
    expect(hits).not.toContain('/slow-record'); // decided, not yet recorded: not connected
    release();
    expect(await answer).toMatchObject({ status: 200, body: 'reached' });
    expect(hits).toContain('/slow-record');
    await proxy.close();
  });

  it('[AUD-2] refuses the connection with EGRESS_UNLOGGED when the decision cannot be recorded', async () => {
    const { proxy, socketPath } = await proxyWith(() => Promise.reject(new Error('ENOSPC')));
    expect(await get(socketPath, `http://ok.test:${port}/unlogged`)).toMatchObject({
      status: 503,
      code: 'EGRESS_UNLOGGED',
    });
    expect(hits).not.toContain('/unlogged');
    await proxy.close();
  });

  it('[AUD-2] refuses the connection with EGRESS_UNLOGGED while the recorded decision cannot be written out (the group commit), and connects once it can', async () => {
    // The way out of a log whose pending lines cannot be written while the file refuses writes.
    let refusing = true;
    const outbound: Outbound = {
      commit: () => (refusing ? new Error('EIO: the log file refused the write') : undefined),
    };
    const { proxy, socketPath } = await proxyWith(() => Promise.resolve(), outbound);
    expect(await get(socketPath, `http://ok.test:${port}/unwritten`)).toMatchObject({
      status: 503,
      code: 'EGRESS_UNLOGGED',
    });
    expect(hits).not.toContain('/unwritten');
    refusing = false;
    expect(await get(socketPath, `http://ok.test:${port}/written`)).toMatchObject({
      status: 200,
      body: 'reached',
    });
    expect(hits).toContain('/written');
    await proxy.close();
  });
});
