import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { LockError } from '../errors.js';
import { parseLock, toLockText, type Lock } from './lock.js';

/** Where the lock of a config lives: `lock.path` relative to the config, else `toolgate.lock` beside it. */
export const lockPathOf = (configPath: string, config: Config): string =>
  resolve(dirname(configPath), config.lock.path ?? 'toolgate.lock');

/** Reads and checks a lock; `undefined` when there is none. A lock that exists but is bad is an error. */
export const readLock = async (path: string): Promise<Lock | undefined> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LockError('LOCK_INVALID', `cannot read ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new LockError('LOCK_INVALID', `${path} is not JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  return parseLock(doc, path);
};

/** Writes the lock atomically (temp file, then rename), sorted and diffable. */
export const writeLock = async (path: string, lock: Lock): Promise<void> => {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, toLockText(parseLock(lock, path)));
  await rename(temp, path);
};
