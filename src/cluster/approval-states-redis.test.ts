import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createApprovalStates, type ApprovalBinding } from '../authz/approval-state.js';
import { redisVault } from './approval-states-redis.js';

/** The machine's Redis (CI and development run one: `.ci/run` checks it is reachable). */
const URL = process.env['TOOLGATE_TEST_REDIS'] ?? 'redis://127.0.0.1:6379';
const prefixes: string[] = [];
const closers: (() => void)[] = [];
const newPrefix = () => {
  const prefix = `tg-test-${randomBytes(6).toString('hex')}:`;
  prefixes.push(prefix);
  return prefix;
};
/** One replica's approval states over the shared Redis. */
const replica = (prefix: string, url = URL) => {
  const vault = redisVault(url, prefix);
  closers.push(() => vault.close?.());
  return createApprovalStates(60_000, vault);
};
afterAll(async () => {
  for (const close of closers) close();
  const redis = new Redis(URL);
  for (const p of prefixes) {
    const keys = await redis.keys(`${p}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
});

const CALL: ApprovalBinding = {
  agent: 'ci-bot',
  server: 'chat',
  tool: 'send_message',
  arguments: { to: 'eve@evil.test' },
  rule: 'external-mail',
};
const codeOf = (p: Promise<void>) =>
  p.then(
    () => undefined,
    (e: { code?: string }) => e.code,
  );

describe('approval states shared by replicas', () => {
  it('[CLU-5] [APPR-3] a state minted on one replica redeems on another, once across all', async () => {
    const prefix = newPrefix();
    const [a, b] = [replica(prefix), replica(prefix)];
    const now = Date.now();
    const state = await a.mint(CALL, now);
    expect(await codeOf(b.redeem(state, CALL, now))).toBeUndefined();
    expect(await codeOf(a.redeem(state, CALL, now))).toBe('APPROVAL_STATE_INVALID');
    expect(await codeOf(b.redeem(state, CALL, now))).toBe('APPROVAL_STATE_INVALID');
    // Another cluster (another prefix) holds another key: the state is foreign there.
    const other = replica(newPrefix());
    expect(await codeOf(other.redeem(await a.mint(CALL, now), CALL, now))).toBe(
      'APPROVAL_STATE_INVALID',
    );
  });

  it('[CLU-4] [APPR-3] refuses with CLUSTER_STORE_UNAVAILABLE while Redis cannot be reached', async () => {
    const dead = replica(newPrefix(), 'redis://127.0.0.1:1');
    await expect(dead.mint(CALL, Date.now())).rejects.toMatchObject({
      code: 'CLUSTER_STORE_UNAVAILABLE',
    });
  });
});
