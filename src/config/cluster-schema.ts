import { z } from 'zod';

/**
 * The `cluster:` section: state that replicas of `toolgate serve` share. Absent: one process, all in
 * memory (the default).
 * @example
 * cluster: { redis: redis://redis.internal:6379/0 }
 */
export const ClusterSchema = z
  .strictObject({
    redis: z
      .string()
      .regex(/^rediss?:\/\/\S+$/, 'a redis:// or rediss:// URL')
      .describe(
        'Redis shared by every replica (rate-limit buckets): redis://[user:password@]host:6379[/db], rediss:// for TLS.',
      ),
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9:_.-]{1,64}$/, '1 to 64 of A-Z a-z 0-9 : _ . -')
      .default('toolgate:')
      .describe(
        'Prefix of every Redis key toolgate writes: replicas of one deployment share it, others keep apart.',
      ),
  })
  .describe('State shared by replicas of toolgate serve (docs/cluster.md).');
