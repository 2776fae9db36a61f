import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { AuthzError } from '../errors.js';
import { compilePolicy, type CompiledPolicy } from './policy.js';

/** Reads and compiles the config's Cedar policy files (paths relative to the config); none → undefined. */
export const loadPolicy = async (
  configPath: string,
  config: Config,
): Promise<CompiledPolicy | undefined> => {
  if (!config.policy) return undefined;
  const sources = await Promise.all(
    config.policy.files.map(async (file) => {
      const path = resolve(dirname(configPath), file);
      try {
        return { name: file, text: await readFile(path, 'utf8') };
      } catch (cause) {
        throw new AuthzError(
          'AUTHZ_POLICY_INVALID',
          `cannot read policy file ${path}: ${(cause as Error).message}`,
          { cause },
        );
      }
    }),
  );
  return compilePolicy(sources);
};
