import { randomBytes } from 'node:crypto';
import {
  createApprovalStates,
  memoryVault,
  type ApprovalStates,
  type StateVault,
} from '../authz/approval-state.js';
import type { Config } from '../config/schema.js';
import { ClusterError } from '../errors.js';
import { openRedis } from './redis.js';

const unavailable = (cause: unknown) =>
  new ClusterError(
    'CLUSTER_STORE_UNAVAILABLE',
    'the shared approval states (cluster.redis) cannot be reached: the call is refused',
    { cause },
  );

/**
 * The approval-state vault of a cluster: one MAC key for every replica (the first to need it sets
 * `<prefix>approval-state:key`; the others read it) and each spent nonce as a key that expires with
 * its state, so the re-sent call may reach any replica and a state is spent once across all. Whoever
 * can write this Redis can already answer the shared approval queue: the key adds no new trust.
 */
export const redisVault = (url: string, prefix: string): StateVault => {
  const redis = openRedis(url, 'approvals asked in band');
  const keyName = `${prefix}approval-state:key`;
  let key: Promise<Buffer> | undefined;
  const loadKey = async (): Promise<Buffer> => {
    await redis.set(keyName, randomBytes(32).toString('base64'), 'NX');
    const stored = await redis.get(keyName);
    if (!stored) throw new Error(`${keyName} is missing`);
    return Buffer.from(stored, 'base64');
  };
  return {
    key: () =>
      (key ??= loadKey().catch((cause: unknown) => {
        key = undefined; // tried again at the next call
        throw unavailable(cause);
      })),
    spend: async (nonce, expiry, now) => {
      try {
        const ttl = Math.max(1, expiry - now) + 60_000;
        return (
          (await redis.set(`${prefix}approval-state:spent:${nonce}`, '1', 'PX', ttl, 'NX')) === 'OK'
        );
      } catch (cause) {
        throw unavailable(cause);
      }
    },
    close: () => redis.disconnect(),
  };
};

/** The approval states of a config: shared through Redis with `cluster.redis`, this process's otherwise. */
export const approvalStatesOf = (config: Config): ApprovalStates =>
  createApprovalStates(
    config.approval.timeoutMs,
    config.cluster ? redisVault(config.cluster.redis, config.cluster.prefix) : memoryVault(),
  );
