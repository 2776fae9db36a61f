import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { ConfigSchema, type Config } from './schema.js';
import { nearestKey } from './suggest.js';

/** Validates an already-parsed config document; errors name the file (`source`) and the offending path. */
export const parseConfig = (doc: unknown, source?: string): Config => {
  const result = ConfigSchema.safeParse(doc);
  if (!result.success)
    throw new ConfigError(
      'CONFIG_INVALID',
      `invalid config${source === undefined ? '' : ` ${source}`}:\n${describeIssues(result.error.issues)}`,
    );
  return result.data;
};

/**
 * Like `z.prettifyError`, but a failed union (a server is stdio or HTTP) reports the branch that came
 * closest instead of a bare "invalid input", so the message names the real path.
 */
const describeIssues = (
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): string =>
  issues
    .map((issue) => {
      const path = [...prefix, ...issue.path];
      if (issue.code === 'invalid_union' && issue.errors.length > 0) {
        const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
        return describeIssues(closest, path);
      }
      return `✖ ${issue.message}${didYouMean(issue, path)}\n  → at ${path.map(String).join('.') || '(root)'}`;
    })
    .join('\n');

/** For an unknown key, the allowed key it is probably a typo of. */
const didYouMean = (issue: z.core.$ZodIssue, path: readonly PropertyKey[]): string => {
  if (issue.code !== 'unrecognized_keys') return '';
  const hints = issue.keys.flatMap((key) => {
    const near = nearestKey(key, path);
    if (near === undefined) return [];
    return [issue.keys.length === 1 ? `"${near}"` : `"${near}" for "${key}"`];
  });
  return hints.length === 0 ? '' : ` (did you mean ${hints.join(', ')}?)`;
};

const NO_CONFIG_HINT =
  " (name the config with --config FILE, or write one from an MCP client's with toolgate init --from CLIENT)";

/** Reads and validates a YAML (or JSON) config file. */
export const loadConfig = async (path: string): Promise<Config> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(
      'CONFIG_UNREADABLE',
      `cannot read config ${path}: ${(cause as Error).message}${(cause as NodeJS.ErrnoException).code === 'ENOENT' ? NO_CONFIG_HINT : ''}`,
      { cause },
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (cause) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `config ${path} is not valid YAML: ${(cause as Error).message}`,
      { cause },
    );
  }
  return parseConfig(doc, path);
};
