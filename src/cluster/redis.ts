import { createRequire } from 'node:module';
import type * as IORedis from 'ioredis';
import type { Redis } from 'ioredis';
import { logLine } from '../log.js';

/** How long a command may wait for Redis before the call is refused: a stalled Redis must not stall every call. */
const COMMAND_TIMEOUT_MS = 2_000;

/**
 * One connection to `cluster.redis`, for `role` (what the log lines say it serves). Commands are queued
 * while it reconnects but fail after one attempt or the timeout, so nothing is held for long; it warns
 * once per cause when Redis goes away and says when it is back. A URL without a password takes
 * `TOOLGATE_REDIS_PASSWORD` when it is set.
 */
export const openRedis = (url: string, role: string): Redis => {
  // A password kept out of the config (a Kubernetes Secret as an environment variable).
  const password = new URL(url).password ? undefined : process.env['TOOLGATE_REDIS_PASSWORD'];
  // Loaded only in cluster mode: ioredis costs every gateway process CPU at start, and most run alone.
  const { Redis: Client } = createRequire(import.meta.url)('ioredis') as typeof IORedis;
  const redis = new Client(url, {
    ...(password && { password }),
    maxRetriesPerRequest: 1,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(times * 100, 2_000),
    connectionName: 'toolgate',
  });
  let down: string | undefined;
  redis.on('error', (error: Error) => {
    if (down === error.message) return;
    down = error.message;
    logLine('warn', `cluster.redis unreachable: ${role} fail closed until it is back`, {
      error: error.message,
    });
  });
  redis.on('ready', () => {
    if (down !== undefined) logLine('info', 'cluster.redis reachable again', { role });
    down = undefined;
  });
  return redis;
};
