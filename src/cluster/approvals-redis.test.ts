import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { tcpRelay } from '../../test/e2e/tcp-relay.js';
import type { ApprovalQueue, PendingApproval } from '../authz/queue.js';
import { createRedisApprovalQueue } from './approvals-redis.js';

/** The machine's Redis (CI and development run one: `.ci/run` checks it is reachable). */
const URL = process.env['TOOLGATE_TEST_REDIS'] ?? 'redis://127.0.0.1:6379';
const prefix = `tg-test-${randomBytes(6).toString('hex')}:`;
const queues: ApprovalQueue[] = [];
const open = (url = URL) => {
  const queue = createRedisApprovalQueue(url, prefix);
  queues.push(queue);
  return queue;
};
afterAll(async () => {
  for (const q of queues) q.close?.();
  const redis = new Redis(URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const DENY = { decision: 'deny', by: 'bob@ops' } as const;
const request = { agent: 'a', server: 's', item: 'send', summary: '{}', rule: 'r', reason: 'why' };
const listed = async (queue: ApprovalQueue) => {
  for (;;) {
    const waiting = await queue.list();
    if (waiting.length > 0) return waiting;
    await new Promise((resolve) => setImmediate(resolve));
  }
};

describe('the Redis approval queue', () => {
  it('[CLU-5] [APPR-2] wakes a call waiting on one replica with the answer given through another, once', async () => {
    const [replicaA, replicaB] = [open(), open()];
    const waiting = replicaA.wait(request, 30_000, new AbortController().signal);
    const [pending] = await listed(replicaB);
    expect(pending).toMatchObject(request);
    await replicaB.answer(pending?.id ?? '', { decision: 'approve', by: 'alice@ops' });
    // The first answer wins: a second one (say, from another operator) is refused.
    await expect(replicaB.answer(pending?.id ?? '', DENY)).rejects.toMatchObject({
      code: 'APPROVAL_UNKNOWN',
    });
    expect(await waiting).toEqual({ decision: 'approve', by: 'alice@ops' });
    expect(await replicaB.list()).toEqual([]);
    const redis = new Redis(URL);
    expect(await redis.keys(`${prefix}approval:*`)).toEqual([]); // nothing left behind
    redis.disconnect();
  });

  it('[CLU-5] times out unanswered and refuses ids that are not waiting', async () => {
    const queue = open();
    expect(await queue.wait(request, 50, new AbortController().signal)).toBe('timeout');
    await expect(queue.answer('00000000-0000-4000-8000-000000000000', DENY)).rejects.toMatchObject({
      code: 'APPROVAL_UNKNOWN',
    });
    await expect(queue.answer(`x* ${prefix}`, DENY)).rejects.toMatchObject({
      code: 'APPROVAL_UNKNOWN',
    });
  });

  it('[CLU-5] [CLU-4] refuses a call with CLUSTER_STORE_UNAVAILABLE while Redis is away, and queues again once it is back', async () => {
    const relay = await tcpRelay(6379);
    const queue = open(`redis://127.0.0.1:${relay.port}`);
    const operator = open();
    await relay.stop();
    await expect(queue.wait(request, 5_000, new AbortController().signal)).rejects.toMatchObject({
      code: 'CLUSTER_STORE_UNAVAILABLE',
    });
    await relay.start();
    for (let tries = 0; ; tries++) {
      const waiting = queue.wait(request, 10_000, new AbortController().signal);
      const outcome = await Promise.race([waiting.catch((e: unknown) => e), listed(operator)]);
      if (Array.isArray(outcome)) {
        await operator.answer((outcome as PendingApproval[])[0]?.id ?? '', DENY);
        expect(await waiting).toEqual(DENY);
        break;
      }
      if (tries > 50) throw outcome;
    }
    await relay.stop();
  });
});
