import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, fixture, npmServer, startStdioGateway, type Running } from './harness.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** Starts a Streamable HTTP server process and waits until it says it listens. */
const startHttpServer = async (
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<ChildProcess> => {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  await eventually(() => ready.test(err), 20_000);
  return child;
};

describe('Streamable HTTP upstreams of both eras', () => {
  const children: ChildProcess[] = [];
  let gw: Running;
  beforeAll(async () => {
    const legacyPort = await freePort();
    const modernPort = await freePort();
    children.push(
      await startHttpServer(
        [npmServer('server-everything'), 'streamableHttp'],
        { PORT: String(legacyPort) },
        /listening/i,
      ),
      await startHttpServer([fixture('echo-http-server'), String(modernPort)], {}, /listening/i),
    );
    gw = await startStdioGateway({
      servers: {
        legacy: { url: `http://127.0.0.1:${legacyPort}/mcp`, tools: ['echo'] },
        modern: { url: `http://127.0.0.1:${modernPort}/mcp`, tools: ['echo'] },
      },
    });
  });
  afterAll(async () => {
    await gw?.close();
    for (const c of children) c.kill();
  });

  it('negotiates 2025 with a 2025 server and 2026-07-28 with a 2026 server', async () => {
    await eventually(() =>
      gw.stderr.some((l) => l.includes('"server":"legacy"') && l.includes('"era":"2025-11-25"')),
    );
    await eventually(() =>
      gw.stderr.some((l) => l.includes('"server":"modern"') && l.includes('"era":"2026-07-28"')),
    );
  });

  it('[ALLOW-1] lists and calls tools of both through one 2025 client', async () => {
    expect((await gw.client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'legacy__echo',
      'modern__echo',
    ]);
    expect(
      await gw.client.callTool({ name: 'legacy__echo', arguments: { message: 'old' } }),
    ).toMatchObject({ content: [{ text: 'Echo: old' }] });
    expect(
      await gw.client.callTool({ name: 'modern__echo', arguments: { text: 'new' } }),
    ).toMatchObject({ content: [{ text: 'new' }] });
  });

  it('[ALLOW-2] still denies what the config does not allow over HTTP', async () => {
    await expect(
      gw.client.callTool({ name: 'legacy__get-env', arguments: {} }),
    ).rejects.toMatchObject({ data: { code: 'POLICY_TOOL_DENIED' } });
  });
});
