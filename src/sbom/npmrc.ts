/**
 * The registry npm would use, found the way npm finds it: `npm_config_registry` in the environment,
 * then `registry=` in the project's `.npmrc`, the user's (`npm_config_userconfig`, else `~/.npmrc`)
 * and the global one (`npm_config_globalconfig`), else the public registry. The parser is pure.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_REGISTRY } from '../packages/registry.js';

/**
 * `key=value` lines of an npmrc (ini without sections, as npm writes it): `;` and `#` start a
 * comment line, `${NAME}` is replaced from `env`, quotes around a value are dropped.
 */
export const parseNpmrc = (
  text: string,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (/^(["']).*\1$/.test(value) && value.length >= 2) value = value.slice(1, -1);
    out[key] = value.replace(/\$\{([^}]+)\}/g, (_, name: string) => env[name] ?? '');
  }
  return out;
};

const readRc = async (path: string | undefined): Promise<string | undefined> => {
  if (path === undefined) return undefined;
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined; // npm skips a config file that is not there
  }
};

/** Where the registry came from and its URL. */
export const npmRegistry = async (
  cwd: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ url: string; from: string }> => {
  const fromEnv = env['npm_config_registry'] ?? env['NPM_CONFIG_REGISTRY'];
  if (fromEnv) return { url: fromEnv, from: 'npm_config_registry' };
  for (const path of [
    join(cwd, '.npmrc'),
    env['npm_config_userconfig'] ?? join(env['HOME'] ?? homedir(), '.npmrc'),
    env['npm_config_globalconfig'],
  ]) {
    const text = await readRc(path);
    const url = text === undefined ? undefined : parseNpmrc(text, env)['registry'];
    if (url) return { url, from: path as string };
  }
  return { url: DEFAULT_REGISTRY, from: 'npm default' };
};
