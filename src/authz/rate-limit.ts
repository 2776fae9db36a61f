import { AuthzError } from '../errors.js';
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

/** The buckets a request draws on: its agent's, and its agent's for this tool. */
export interface RequestBuckets {
  readonly perAgent?: BucketConfig | undefined;
  readonly perTool?: BucketConfig | undefined;
}

const refuse = (key: string, taken: Taken): void => {
  if (!taken.ok)
    throw new AuthzError(
      'RATE_LIMITED',
      `rate limit of ${key.startsWith('agent:') ? 'this agent' : 'this tool for this agent'} reached: retry in ${(taken.retryAfterMs / 1000).toFixed(1)} s`,
    );
};

/**
 * Takes a token from each bucket of a request by `agent` to `server`'s tool `name` (none for a
 * prompt or resource), or throws RATE_LIMITED; a promise only when the store's take is one.
 */
export const takeTokens = (
  rates: RateStore,
  limits: RequestBuckets,
  at: number,
  call: { readonly agent: string; readonly server: string; readonly name: string | undefined },
): void | Promise<void> => {
  const { perAgent, perTool } = limits;
  const checks = [
    perAgent && ([`agent:${call.agent}`, perAgent] as const),
    perTool &&
      call.name !== undefined &&
      ([`tool:${call.agent}:${call.server}/${call.name}`, perTool] as const),
  ];
  const from = (i: number): void | Promise<void> => {
    for (; i < checks.length; i++) {
      const check = checks[i];
      if (!check) continue;
      const taken = rates.take(check[0], check[1], at);
      if (taken instanceof Promise) {
        const next = i + 1;
        return taken.then((t) => {
          refuse(check[0], t);
          return from(next);
        });
      }
      refuse(check[0], taken);
    }
  };
  return from(0);
};
