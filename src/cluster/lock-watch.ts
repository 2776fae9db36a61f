import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { logLine } from '../log.js';
import { openRedis } from './redis.js';

/** How often a replica re-reads its config and lock files (a Kubernetes ConfigMap is swapped in place). */
const POLL_MS = 2_000;

const channelOf = (prefix: string) => `${prefix}lock:changed`;

const digestOf = async (paths: readonly string[]): Promise<string> => {
  const hash = createHash('sha256');
  for (const path of paths) hash.update(await readFile(path).catch(() => Buffer.from('-')));
  return hash.digest('hex');
};

/**
 * Keeps a replica on the lock (and config) its deployment approved: `reload` runs when another
 * process announces a change on `<prefix>lock:changed` (`toolgate approve` does, CLU-8), and when the
 * files' content changes on disk (a ConfigMap the kubelet updated, a file an operator replaced). A
 * notification that arrives before the file did changes nothing; the next poll then reloads.
 */
export const watchLock = (options: {
  readonly files: readonly string[];
  readonly redis: string;
  readonly prefix: string;
  readonly reload: (why: string) => void;
}): { readonly ready: Promise<void>; close(): void } => {
  const { files, reload } = options;
  let last: Promise<string> = digestOf(files);
  const poll = setInterval(() => {
    last = last.then(async (before) => {
      const now = await digestOf(files);
      if (now !== before) reload('the config or lock file changed');
      return now;
    });
  }, POLL_MS);
  poll.unref();
  const subscriber = openRedis(options.redis, 'lock change notifications');
  subscriber.on('message', () => {
    // The reload reads the files anew; the poll must not announce the same change again.
    last = last.then(() => digestOf(files));
    reload('another process announced a lock change');
  });
  // Subscribed on every (re)connection: one that failed while Redis was away is made again.
  subscriber.on('ready', () => {
    subscriber.subscribe(channelOf(options.prefix)).catch((error: unknown) =>
      logLine('warn', 'lock change notifications off until Redis is back', {
        error: (error as Error).message,
      }),
    );
  });
  return {
    /** Resolves once the files' first digest is taken: a change after this is seen. */
    ready: last.then(() => undefined),
    close: () => {
      clearInterval(poll);
      subscriber.disconnect();
    },
  };
};

/** Tells every replica to reload: called after a lock change was written (`toolgate approve`). */
export const announceLockChange = async (redis: string, prefix: string): Promise<number> => {
  const client = openRedis(redis, 'lock change notifications');
  try {
    return await client.publish(channelOf(prefix), 'changed');
  } finally {
    client.disconnect();
  }
};
