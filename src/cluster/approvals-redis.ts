import { resolve, dirname } from 'node:path';
import {
  APPROVAL_ID,
  createApprovalQueue,
  newPending,
  parseAnswer,
  type Answer,
  type ApprovalQueue,
  type PendingApproval,
} from '../authz/queue.js';
import type { Config } from '../config/schema.js';
import { AuthzError, ClusterError } from '../errors.js';
import { openRedis } from './redis.js';

/**
 * Records the first answer to a waiting request and wakes its waiter, atomically: an id that is not
 * waiting (never was, expired, or its waiter gave up) or already answered gets 0.
 */
const ANSWER = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 1 then ttl = 1000 end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ttl) then return 0 end
redis.call('PUBLISH', KEYS[3], ARGV[2] .. ' ' .. ARGV[1])
return 1
`;

const unavailable = (cause: unknown) =>
  new ClusterError(
    'CLUSTER_STORE_UNAVAILABLE',
    'the shared approval queue (cluster.redis) cannot be reached: the call is refused',
    { cause },
  );

/**
 * The calls of this process waiting for an answer, woken by the answers published on `channel`
 * (one subscription, made by the first wait). A wake-up published while the subscription was down
 * is read back from its key (`readAnswer`) once it is up again.
 */
const createWakeUps = (
  url: string,
  channel: string,
  readAnswer: (id: string) => Promise<string | null>,
) => {
  const waiters = new Map<string, (answer: Answer) => void>();
  let subscriber: ReturnType<typeof openRedis> | undefined;
  let subscribed: Promise<unknown> | undefined;
  const recheck = (id: string) =>
    void readAnswer(id).then(
      (text) => {
        const answer = parseAnswer(text);
        if (answer) waiters.get(id)?.(answer);
      },
      () => undefined,
    );
  return {
    waiters,
    subscribe(): Promise<unknown> {
      if (!subscriber) {
        const sub = openRedis(url, 'approvals');
        sub.on('message', (_: string, text: string) => {
          const space = text.indexOf(' ');
          const answer = parseAnswer(text.slice(space + 1));
          if (space > 0 && answer) waiters.get(text.slice(0, space))?.(answer);
        });
        sub.on('ready', () => [...waiters.keys()].forEach(recheck));
        subscriber = sub;
      }
      // Retried by the next wait after a failure; ioredis resubscribes on its own after a reconnect.
      subscribed ??= subscriber.subscribe(channel).catch((error: unknown) => {
        subscribed = undefined;
        throw error;
      });
      return subscribed;
    },
    close: () => subscriber?.disconnect(),
  };
};

/** The requests still waiting, oldest first (expired ones are dropped from the index on the way). */
const listWaiting = async (
  redis: ReturnType<typeof openRedis>,
  index: string,
  requestKey: (id: string) => string,
): Promise<PendingApproval[]> => {
  try {
    const now = Date.now();
    await redis.zremrangebyscore(index, '-inf', now);
    const ids = await redis.zrangebyscore(index, now, '+inf');
    if (ids.length === 0) return [];
    const bodies = await redis.mget(ids.map(requestKey));
    return bodies
      .filter((b): b is string => b !== null)
      .map((b) => JSON.parse(b) as PendingApproval)
      .sort((a, b) => a.created.localeCompare(b.created));
  } catch (cause) {
    throw unavailable(cause);
  }
};

/**
 * The approval queue in Redis, shared by every replica (`cluster.redis`): a call waiting on one
 * replica can be answered through any other, or with `toolgate approvals` from anywhere that reaches
 * Redis. A request is `<prefix>approval:<id>` (expiring with the wait), listed in the sorted set
 * `<prefix>approvals`; an answer is stored next to it and published on `<prefix>approvals:answered`,
 * which wakes the waiter at once.
 */
export const createRedisApprovalQueue = (url: string, prefix: string): ApprovalQueue => {
  const redis = openRedis(url, 'approvals');
  const channel = `${prefix}approvals:answered`;
  const index = `${prefix}approvals`;
  const requestKey = (id: string) => `${prefix}approval:${id}`;
  const answerKey = (id: string) => `${prefix}approval:${id}:answer`;
  const wakeUps = createWakeUps(url, channel, (id) => redis.get(answerKey(id)));
  const { waiters } = wakeUps;

  return {
    async wait(request, timeoutMs, signal) {
      const pending = newPending(request, timeoutMs);
      const { id } = pending;
      let timer: NodeJS.Timeout | undefined;
      const answered = new Promise<Answer | 'timeout'>((resolve) => {
        waiters.set(id, resolve);
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
        signal.addEventListener('abort', () => resolve('timeout'), { once: true });
      });
      try {
        await wakeUps.subscribe();
        await redis
          .multi()
          .set(requestKey(id), JSON.stringify(pending), 'PX', timeoutMs)
          .zadd(index, Date.parse(pending.expires), id)
          .exec();
      } catch (cause) {
        clearTimeout(timer);
        waiters.delete(id);
        throw unavailable(cause);
      }
      try {
        return await answered;
      } finally {
        clearTimeout(timer);
        waiters.delete(id);
        await redis
          .multi()
          .del(requestKey(id), answerKey(id))
          .zrem(index, id)
          .exec()
          .catch(() => undefined); // both keys expire anyway
      }
    },

    list: () => listWaiting(redis, index, requestKey),

    async answer(id, answer) {
      let done: unknown = 0;
      if (APPROVAL_ID.test(id))
        try {
          done = await redis.eval(
            ANSWER,
            3,
            requestKey(id),
            answerKey(id),
            channel,
            JSON.stringify(answer),
            id,
          );
        } catch (cause) {
          throw unavailable(cause);
        }
      if (done !== 1)
        throw new AuthzError(
          'APPROVAL_UNKNOWN',
          `no approval ${id} is waiting (answered, expired, or mistyped)`,
        );
    },

    close() {
      redis.disconnect();
      wakeUps.close();
    },
  };
};

/** The approval queue of a config: in Redis with `cluster.redis`, else the folder `approval.dir`. */
export const approvalQueueOf = (config: Config, configPath: string): ApprovalQueue =>
  config.cluster
    ? createRedisApprovalQueue(config.cluster.redis, config.cluster.prefix)
    : createApprovalQueue(resolve(dirname(configPath), config.approval.dir));
