import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startGateway } from '../faults/audit-gateway.js';
import { entriesOf, isShutdown } from './audit-log.js';
import { eventually, fixture } from './harness.js';

describe('when a sandboxed server reaches out through its egress proxy', () => {
  let web: Server | undefined;
  afterAll(() => web?.close());

  it('[AUD-1] every egress decision is an audit entry, stored before the call that caused it is answered', async () => {
    web = createServer((_req, res) => res.end('hello from the allowed host'));
    await new Promise<void>((r) => web?.listen(0, '127.0.0.1', r));
    const { port } = web.address() as AddressInfo;
    const gw = await startGateway({
      servers: {
        a: {
          command: process.execPath,
          args: [fixture('hostile')],
          tools: ['*'],
          // 2048: Node 24's V8 alone reserves more than 1 GiB of address space at start.
          sandbox: { memoryMb: 2048 },
          egress: {
            allow: ['allowed.test'],
            allowPrivate: ['allowed.test'],
            ports: [port],
            resolve: { 'allowed.test': '127.0.0.1' },
          },
        },
      },
    });
    const fetched = async (url: string) =>
      JSON.parse(
        (
          (await gw.client.callTool({ name: 'a__fetch', arguments: { url } })).content as {
            text: string;
          }[]
        )[0]?.text ?? 'null',
      ) as { value?: { status?: number } };
    expect((await fetched(`http://allowed.test:${port}/`)).value?.status).toBe(200);
    expect((await fetched(`http://example.com:${port}/`)).value?.status).toBe(403);
    await gw.client.close();
    await eventually(() => entriesOf(gw.dir).some(isShutdown), 60_000);

    const entries = entriesOf(gw.dir);
    const egress = (host: string) =>
      entries.find(
        (e) =>
          (e.event?.['event'] as { kind?: string; host?: string } | undefined)?.kind === 'egress' &&
          (e.event?.['event'] as { host?: string }).host === host,
      );
    const results = entries.filter((e) => e.target === 'fetch' && e.decision === 'result');
    expect(egress('allowed.test')?.event?.['event']).toMatchObject({
      decision: 'allow',
      address: '127.0.0.1',
    });
    expect(egress('example.com')?.event?.['event']).toMatchObject({
      decision: 'deny',
      code: 'EGRESS_HOST_DENIED',
    });
    expect(egress('allowed.test')?.seq).toBeLessThan(results[0]?.seq ?? -1);
    expect(egress('example.com')?.seq).toBeLessThan(results[1]?.seq ?? -1);
  }, 180_000);
});
