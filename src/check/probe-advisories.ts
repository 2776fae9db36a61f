import { dirname, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { GatewayError } from '../errors.js';
import { loadAdvisoryGate } from '../packages/advisory-gate.js';
import { storeRootOf } from '../packages/places.js';
import type { AdvisoryState, LockState } from './types.js';

/**
 * Reads the advisory data and decides for each locked npm server as a start would (the same
 * loadAdvisoryGate), so that item 9 reports what `toolgate run` would refuse.
 */
export const readAdvisoryState = async (
  configPath: string,
  config: Config,
  lock: LockState,
  now: Date,
): Promise<AdvisoryState> => {
  const { advisories } = config;
  if (advisories === undefined) return { kind: 'off' };
  if (lock.kind !== 'present')
    return {
      kind: 'unchecked',
      reason: lock.kind === 'absent' ? `no lock at ${lock.path}` : `${lock.path} cannot be read`,
    };
  const configDir = dirname(resolve(configPath));
  try {
    const gate = await loadAdvisoryGate({
      ...{ advisories, configDir, lock: lock.lock, now },
      servers: Object.keys(config.servers),
      store: storeRootOf(config.lock.store, configDir),
    });
    return { kind: 'present', gate };
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return { kind: 'invalid', error: `${error.code}: ${error.message}` };
  }
};
