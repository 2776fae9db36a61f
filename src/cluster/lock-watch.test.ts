import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { announceLockChange, watchLock } from './lock-watch.js';

/** The machine's Redis (CI and development run one: `.ci/run` checks it is reachable). */
const URL = process.env['TOOLGATE_TEST_REDIS'] ?? 'redis://127.0.0.1:6379';
const prefix = `tg-test-${randomBytes(6).toString('hex')}:`;
const watchers: { close(): void }[] = [];
afterAll(() => watchers.forEach((w) => w.close()));

/** Two replicas watching one lock: what each was told, in order. */
const replicas = async (files: string[]) =>
  Promise.all(
    ['a', 'b'].map(async () => {
      const reasons: string[] = [];
      const watcher = watchLock({ files, redis: URL, prefix, reload: (why) => reasons.push(why) });
      watchers.push(watcher);
      await watcher.ready;
      return reasons;
    }),
  );
const until = async (done: () => boolean) => {
  for (let i = 0; !done(); i++) {
    if (i > 200) throw new Error('not reloaded within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('replicas following the lock', () => {
  it('[CLU-8] every replica reloads when toolgate approve announces a lock change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-lock-'));
    const lock = join(dir, 'toolgate.lock');
    writeFileSync(lock, '{"lockfileVersion":1,"servers":{}}');
    const [a, b] = await replicas([lock]);
    // Announced until both have subscribed (publish counts the subscribers it reached).
    for (let tries = 0; (await announceLockChange(URL, prefix)) < 2; tries++) {
      expect(tries).toBeLessThan(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await until(() => (a?.length ?? 0) > 0 && (b?.length ?? 0) > 0);
    expect(new Set([...(a ?? []), ...(b ?? [])])).toEqual(
      new Set(['another process announced a lock change']),
    );
  });

  it('[CLU-8] every replica reloads when its lock file changes on disk (a ConfigMap swapped in place)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-lock-'));
    const lock = join(dir, 'toolgate.lock');
    writeFileSync(lock, '{"lockfileVersion":1,"servers":{}}');
    const [a, b] = await replicas([join(dir, 'toolgate.yaml'), lock]);
    writeFileSync(lock, '{"lockfileVersion":1,"servers":{"x":{}}}');
    await until(() => (a?.length ?? 0) > 0 && (b?.length ?? 0) > 0);
    expect(a?.[0]).toBe('the config or lock file changed');
  });
});
