import { createMemoryRateStore, type RateStore, type Taken } from '../authz/rate-limit.js';
import type { Config } from '../config/schema.js';
import { ClusterError } from '../errors.js';
import { openRedis } from './redis.js';

/**
 * One token bucket, taken atomically in Redis: refill for the time since the last take, then take a
 * token or say how long until there is one. The time is Redis's own (`TIME`), so replicas whose clocks
 * differ still share one refill rate. A bucket expires once it would be full again: idle keys cost nothing.
 */
const TAKE = `
local capacity = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then tokens = capacity; at = now end
tokens = math.min(capacity, tokens + math.max(0, now - at) / 1000 * refill)
local ttl = math.ceil(capacity / refill * 1000) + 1000
local ok = 1
local wait = 0
if tokens < 1 then
  ok = 0
  wait = math.ceil((1 - tokens) / refill * 1000)
else
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], ttl)
return {ok, wait}
`;

export interface SharedRateStore extends RateStore {
  take(...args: Parameters<RateStore['take']>): Promise<Taken>;
  /** Closes the connection (the process can then exit). */
  close(): void;
}

/**
 * Rate-limit buckets in Redis, shared by every replica (`cluster.redis`). A take that Redis cannot
 * answer (down, unreachable, too slow) refuses the call with CLUSTER_STORE_UNAVAILABLE: a limit that
 * cannot be checked is not waived. The client reconnects on its own; calls pass again once it has.
 */
export const createRedisRateStore = (url: string, prefix: string): SharedRateStore => {
  const redis = openRedis(url, 'rate-limited calls');
  return {
    take: async (key, bucket): Promise<Taken> => {
      let reply: unknown;
      try {
        reply = await redis.eval(
          TAKE,
          1,
          `${prefix}rate:${key}`,
          bucket.capacity,
          bucket.refillPerSecond,
        );
      } catch (cause) {
        throw new ClusterError(
          'CLUSTER_STORE_UNAVAILABLE',
          'the shared rate-limit store (cluster.redis) cannot be reached: the call is refused, not let through unlimited',
          { cause },
        );
      }
      const [ok, wait] = Array.isArray(reply) ? (reply as unknown[]) : [];
      if (ok === 1) return { ok: true };
      if (ok === 0 && typeof wait === 'number') return { ok: false, retryAfterMs: wait };
      throw new ClusterError(
        'CLUSTER_STORE_UNAVAILABLE',
        'the shared rate-limit store (cluster.redis) gave an answer toolgate cannot read',
      );
    },
    close: () => redis.disconnect(),
  };
};

/** The rate store of a config: shared in Redis with `cluster.redis`, in this process's memory otherwise. */
export const createRateStore = (config: Config): RateStore =>
  config.cluster
    ? createRedisRateStore(config.cluster.redis, config.cluster.prefix)
    : createMemoryRateStore();
