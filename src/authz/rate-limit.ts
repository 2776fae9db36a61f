import type { BucketConfig } from '../config/authz-schema.js';

export type Taken = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * Takes one token from a bucket. In memory the answer is at once; the cluster mode backs this with a
 * shared store (cluster/rate-redis.ts), whose answer is a promise that rejects when the store cannot answer.
 */
export interface RateStore {
  take(key: string, bucket: BucketConfig, nowMs: number): Taken | Promise<Taken>;
  /** Releases what the store holds open (a connection); absent in memory. */
  close?(): void;
}

/**
 * In-memory token buckets (one process). A bucket starts full, refills continuously, and is dropped
 * once full again, so idle keys cost nothing.
 */
export const createMemoryRateStore = (): RateStore => {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, bucket, nowMs) {
      const last = buckets.get(key) ?? { tokens: bucket.capacity, at: nowMs };
      const tokens = Math.min(
        bucket.capacity,
        last.tokens + ((nowMs - last.at) / 1000) * bucket.refillPerSecond,
      );
      if (tokens < 1) {
        buckets.set(key, { tokens, at: nowMs });
        return {
          ok: false,
          retryAfterMs: Math.ceil(((1 - tokens) / bucket.refillPerSecond) * 1000),
        };
      }
      if (tokens - 1 >= bucket.capacity) buckets.delete(key);
      else buckets.set(key, { tokens: tokens - 1, at: nowMs });
      return { ok: true };
    },
  };
};
