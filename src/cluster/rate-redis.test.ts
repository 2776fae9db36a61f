import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { tcpRelay } from '../../test/e2e/tcp-relay.js';
import { createRedisRateStore, type SharedRateStore } from './rate-redis.js';

/** The machine's Redis (CI and development run one: `.ci/run` checks it is reachable). */
const URL = process.env['TOOLGATE_TEST_REDIS'] ?? 'redis://127.0.0.1:6379';
const prefixes: string[] = [];
const stores: SharedRateStore[] = [];
const newPrefix = () => {
  const prefix = `tg-test-${randomBytes(6).toString('hex')}:`;
  prefixes.push(prefix);
  return prefix;
};
const open = (url: string, prefix: string) => {
  const store = createRedisRateStore(url, prefix);
  stores.push(store);
  return store;
};
afterAll(async () => {
  for (const s of stores) s.close();
  const redis = new Redis(URL);
  for (const p of prefixes) {
    const keys = await redis.keys(`${p}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
});

const bucket = { capacity: 3, refillPerSecond: 0.001 };

describe('the Redis rate store', () => {
  it('[CLU-3] [RATE-1] holds one bucket across replicas: the capacity in all, then refusals with a retry hint', async () => {
    const prefix = newPrefix();
    const [a, b] = [open(URL, prefix), open(URL, prefix)];
    const taken = [];
    for (let i = 0; i < 5; i++) taken.push(await (i % 2 ? a : b).take('agent:x', bucket, 0));
    expect(taken.map((t) => t.ok)).toEqual([true, true, true, false, false]);
    const refused = taken[4];
    expect(refused?.ok === false && refused.retryAfterMs).toBeGreaterThan(900_000);
    // Another key, and another deployment's prefix, keep their own buckets.
    expect(await a.take('agent:y', bucket, 0)).toEqual({ ok: true });
    expect(await open(URL, newPrefix()).take('agent:x', bucket, 0)).toEqual({ ok: true });
  });

  it('[CLU-3] takes concurrent requests atomically: never more than the capacity', async () => {
    const prefix = newPrefix();
    const replicas = [open(URL, prefix), open(URL, prefix), open(URL, prefix)];
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (replicas[i % 3] as SharedRateStore).take('k', { capacity: 10, refillPerSecond: 0.001 }, 0),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(10);
  });

  it('[CLU-4] refuses with CLUSTER_STORE_UNAVAILABLE while Redis is unreachable, and takes again once it is back', async () => {
    const proxy = await tcpRelay(6379);
    const store = open(`redis://127.0.0.1:${proxy.port}`, newPrefix());
    expect(await store.take('k', bucket, 0)).toEqual({ ok: true });
    await proxy.stop();
    await expect(store.take('k', bucket, 0)).rejects.toMatchObject({
      code: 'CLUSTER_STORE_UNAVAILABLE',
    });
    await proxy.start();
    // The client reconnects with backoff: the first take after it is back passes (bounded wait, no fixed sleep).
    let back: unknown;
    for (let tries = 0; tries < 100 && back === undefined; tries++)
      back = await store
        .take('k', bucket, 0)
        .catch(() => new Promise((resolve) => setTimeout(() => resolve(undefined), 50)));
    expect(back).toEqual({ ok: true });
  });
});
