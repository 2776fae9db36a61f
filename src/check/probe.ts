import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { auditPathsOf } from '../audit/setup.js';
import type { Config } from '../config/schema.js';
import { isStdioServer } from '../config/schema.js';
import { lockPathOf, readLock } from '../pins/store.js';
import { checkSandboxSupport } from '../sandbox/spawn.js';
import type { EnvironmentProbe, LockState } from './types.js';

/** Reads the lock beside the config; a lock that is there but bad is reported, not thrown. */
export const readLockState = async (configPath: string, config: Config): Promise<LockState> => {
  const path = lockPathOf(configPath, config);
  try {
    const lock = await readLock(path);
    return lock === undefined ? { kind: 'absent', path } : { kind: 'present', path, lock };
  } catch (error) {
    return { kind: 'invalid', path, error: (error as Error).message };
  }
};

const modeOf = async (path: string): Promise<number | undefined> => {
  try {
    return (await stat(path)).mode & 0o777;
  } catch {
    return undefined;
  }
};

/** Whether the gateway could open the log for appending: the file, or (not created yet) its folder. */
const writability = async (path: string): Promise<{ writable: boolean; reason?: string }> => {
  const exists = await stat(path).then(
    () => true,
    () => false,
  );
  const target = exists ? path : dirname(path);
  try {
    if (!exists && !(await stat(target)).isDirectory())
      return { writable: false, reason: `${target} is not a folder` };
    await access(target, constants.W_OK);
    return { writable: true };
  } catch (error) {
    return {
      writable: false,
      reason:
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? `${target} does not exist`
          : (error as Error).message,
    };
  }
};

/**
 * Probes the host the way a start would: builds a throwaway bubblewrap sandbox (only when a server
 * needs one), and looks at the audit key's mode and whether the log can be written.
 */
export const probeEnvironment = async (
  configPath: string,
  config: Config,
): Promise<EnvironmentProbe> => {
  const needsSandbox = Object.values(config.servers).some(
    (s) => isStdioServer(s) && s.sandbox !== false,
  );
  const sandbox: EnvironmentProbe['sandbox'] = needsSandbox
    ? await checkSandboxSupport().then(
        (support) => ({ ok: true, bwrap: support.bwrap }) as const,
        (error: unknown) => ({ ok: false, reason: (error as Error).message }) as const,
      )
    : { ok: false, reason: 'not probed: no server is sandboxed by bubblewrap' };
  if (config.audit === false) return { sandbox };
  const paths = auditPathsOf(config.audit, configPath);
  const store = await writability(paths.store);
  return {
    sandbox,
    audit: {
      keyFile: { path: paths.keyFile, mode: await modeOf(paths.keyFile) },
      store: { path: paths.store, ...store },
    },
  };
};
