import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { ConfigSchema, type Config } from './schema.js';

/** Validates an already-parsed config document; errors name the offending path. */
export const parseConfig = (doc: unknown): Config => {
  const result = ConfigSchema.safeParse(doc);
  if (!result.success) throw new ConfigError('CONFIG_INVALID', `invalid config:\n${z.prettifyError(result.error)}`);
  return result.data;
};

/** Reads and validates a YAML (or JSON) config file. */
export const loadConfig = async (path: string): Promise<Config> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ConfigError('CONFIG_UNREADABLE', `cannot read config ${path}: ${(cause as Error).message}`, { cause });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (cause) {
    throw new ConfigError('CONFIG_INVALID', `config ${path} is not valid YAML: ${(cause as Error).message}`, { cause });
  }
  return parseConfig(doc);
};
