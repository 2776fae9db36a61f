import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { errorOf } from './harness.js';
import { everything, root, startServe, tempDir, type ServeProcess } from './gateway-process.js';
import { tcpRelay } from './tcp-relay.js';

/** The machine's Postgres and Redis (`.ci/run` checks both are reachable). */
const POSTGRES = process.env['TOOLGATE_TEST_POSTGRES'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = process.env['TOOLGATE_TEST_REDIS'] ?? 'redis://127.0.0.1:6379';

const run = promisify(execFile);
const toolgate = async (...args: string[]) => {
  try {
    const { stdout } = await run('node', [join(root, 'bin/toolgate.js'), ...args]);
    return { code: 0, stdout };
  } catch (error) {
    return { code: (error as { code: number }).code, stdout: (error as { stdout: string }).stdout };
  }
};

/**
 * Two replicas of `toolgate serve` with one config (own config files, one key pair), one Postgres log
 * and one Redis: calls spread over both are in one verifiable log, and one rate limit holds for both.
 */
describe('two replicas sharing Postgres and Redis', () => {
  const id = randomBytes(6).toString('hex');
  const schema = `tg_e2e_${id}`;
  const prefix = `tg-e2e-${id}:`;
  const keys = tempDir();
  const config = {
    servers: { everything: { ...everything, tools: ['echo'] } },
    audit: {
      store: 'postgres',
      url: POSTGRES,
      schema,
      keyFile: join(keys, 'audit.key'),
      publicKeyFile: join(keys, 'audit.pub'),
      checkpoint: { everyEntries: 5 },
    },
    cluster: { redis: REDIS, prefix },
    rateLimits: { perAgent: { capacity: 10, refillPerSecond: 0.001 } },
  };
  const replicas: ServeProcess[] = [];
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    const client = new pg.Client(POSTGRES);
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
    const redis = new Redis(REDIS);
    const stale = await redis.keys(`${prefix}*`);
    if (stale.length > 0) await redis.del(...stale);
    redis.disconnect();
  });

  it('[CLU-1] [CLU-3] [AUD-4] answers calls on both into one verifiable log, holds one rate limit for both, and verify finds an edited row', async () => {
    // The first start creates the key pair; the second replica is started with the same one.
    replicas.push(await startServe(config));
    replicas.push(await startServe(config));
    const clients = await Promise.all(
      replicas.map(async (r) => {
        const client = new Client({ name: 'cluster-test', version: '1.0.0' });
        await client.connect(new StreamableHTTPClientTransport(new URL(r.url)));
        return client;
      }),
    );
    const outcomes: string[] = [];
    for (let i = 0; i < 14; i++) {
      const call = (clients[i % 2] as Client).callTool({
        name: 'everything__echo',
        arguments: { message: `m${i}` },
      });
      outcomes.push(
        i < 10
          ? JSON.stringify(((await call) as { content: { text: string }[] }).content[0]?.text)
          : String((await errorOf(call)).data?.code),
      );
    }
    expect(outcomes.slice(0, 10).every((o, i) => o.includes(`m${i}`))).toBe(true);
    expect(outcomes.slice(10)).toEqual(Array(4).fill('RATE_LIMITED'));
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(replicas.map((r) => r.stop()));

    const verified = await toolgate('audit', 'verify', '--config', replicas[1]?.configFile ?? '');
    expect(verified.stdout).toMatch(/^ok: \d+ entries, \d+ checkpoints/);
    expect(verified.code).toBe(0);
    const results = await toolgate(
      'audit',
      'query',
      '--config',
      replicas[0]?.configFile ?? '',
      '--decision',
      'result',
      '--tool',
      'echo',
    );
    const answered = results.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { call: string });
    expect(answered).toHaveLength(10); // every answered call exactly once, whichever replica took it
    expect(new Set(answered.map((e) => e.call)).size).toBe(10);

    const db = new pg.Client(POSTGRES);
    await db.connect();
    await db.query(
      `UPDATE "${schema}".entries SET body = replace(body, '"decision":"result"', '"decision":"deny"') WHERE seq = (SELECT min(seq) FROM "${schema}".entries WHERE decision = 'result')`,
    );
    await db.end();
    const tampered = await toolgate('audit', 'verify', '--config', replicas[0]?.configFile ?? '');
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toMatch(/^FAILED at entry \d+/);
  });
});

describe('a replica whose Postgres or Redis goes away', () => {
  const id = randomBytes(6).toString('hex');
  const schema = `tg_e2e_${id}`;
  const prefix = `tg-e2e-${id}:`;
  let replica: ServeProcess | undefined;
  afterAll(async () => {
    await replica?.stop();
    const client = new pg.Client(POSTGRES);
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
    const redis = new Redis(REDIS);
    const stale = await redis.keys(`${prefix}*`);
    if (stale.length > 0) await redis.del(...stale);
    redis.disconnect();
  });

  it('[CLU-2] [CLU-4] refuses calls with AUDIT_APPEND_FAILED or CLUSTER_STORE_UNAVAILABLE, and serves again once each is back', async () => {
    const [postgres, redis] = [await tcpRelay(5432), await tcpRelay(6379)];
    replica = await startServe({
      servers: { everything: { ...everything, tools: ['echo'] } },
      audit: {
        store: 'postgres',
        url: `postgres://postgres@127.0.0.1:${postgres.port}/test`,
        schema,
      },
      cluster: { redis: `redis://127.0.0.1:${redis.port}`, prefix },
      rateLimits: { perAgent: { capacity: 1000, refillPerSecond: 1 } },
    });
    const client = new Client({ name: 'cluster-failure-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(replica.url)));
    const echo = (message: string) =>
      client.callTool({ name: 'everything__echo', arguments: { message } });
    /** Calls until one passes: the stores reconnect on their own, with backoff (bounded, no fixed sleep). */
    const passes = async (message: string) => {
      for (let tries = 0; ; tries++)
        try {
          return await echo(message);
        } catch (error) {
          if (tries > 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
    };
    expect(await echo('first')).toMatchObject({ content: [{ text: 'Echo: first' }] });

    await redis.stop();
    expect(await errorOf(echo('no redis'))).toMatchObject({
      code: -32006,
      data: { code: 'CLUSTER_STORE_UNAVAILABLE' },
    });
    await redis.start();
    expect(await passes('redis back')).toMatchObject({ content: [{ text: 'Echo: redis back' }] });

    await postgres.stop();
    expect(await errorOf(echo('no postgres'))).toMatchObject({
      code: -32006,
      data: { code: 'AUDIT_APPEND_FAILED' },
    });
    await postgres.start();
    expect(await passes('postgres back')).toMatchObject({
      content: [{ text: 'Echo: postgres back' }],
    });
    await client.close();
    await replica.stop();
    const verified = await toolgate('audit', 'verify', '--config', replica.configFile);
    expect(verified.stdout).toMatch(/^ok: /);
    await Promise.all([postgres.stop(), redis.stop()]);
  });
});
