import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * npm's own settings that decide where and how packages are fetched, read the way npm reads them
 * (user `.npmrc`, the project's `.npmrc` beside the config, `npm_config_*` variables): registries
 * per scope, auth tokens per registry, proxies, CA. Passed to pacote and Arborist as npm passes them.
 */
/** The public registry: npm's default when no setting names another. */
export const DEFAULT_REGISTRY = 'https://registry.npmjs.org';

export type NpmSettings = Readonly<Record<string, string | boolean>>;

/** Keys npm spells in kebab case in .npmrc and camel case in its libraries' options. */
const CAMEL: Readonly<Record<string, string>> = {
  'https-proxy': 'httpsProxy',
  noproxy: 'noProxy',
  'strict-ssl': 'strictSSL',
  'fetch-retries': 'fetchRetries',
  'fetch-timeout': 'timeout',
};

/** `${VAR}` (and `${VAR?}`) in a value, from the environment, as npm expands it. */
const expand = (value: string, env: Readonly<Record<string, string | undefined>>): string =>
  value.replace(/\$\{([^${}?]+)\??\}/g, (_, name: string) => env[name] ?? '');

/**
 * Parses one `.npmrc` (ini lines `key = value`; `;` and `#` comments; quoted values). Pure.
 * @example parseNpmrc('registry=https://r.example/\n//r.example/:_authToken=${TOKEN}', { TOKEN: 't' })
 */
export const parseNpmrc = (
  text: string,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string | boolean> => {
  const out: Record<string, string | boolean> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#') || line.startsWith('['))
      continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = expand(line.slice(0, eq).trim(), env);
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && /^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    const expanded = expand(value, env);
    out[CAMEL[key] ?? key] = expanded === 'true' ? true : expanded === 'false' ? false : expanded;
  }
  return out;
};

/** `npm_config_registry` and friends from the environment (lower-cased, `_` → `-` as npm does). */
const fromEnvironment = (env: Readonly<Record<string, string | undefined>>) => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const match = /^npm_config_(.+)$/i.exec(name);
    if (!match || value === undefined) continue;
    const key = (match[1] as string).toLowerCase().replace(/_/g, '-');
    out[CAMEL[key] ?? key] = value;
  }
  return out;
};

const readOptional = (path: string): Promise<string> => readFile(path, 'utf8').catch(() => '');

/**
 * npm's settings for fetching, later sources winning: the user's `.npmrc`, the project's (beside the
 * config), then `npm_config_*`; `lock.registry`, when configured, is the default registry.
 */
export const readNpmSettings = async (
  configDir: string,
  registry: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<NpmSettings> => {
  const user = env['npm_config_userconfig'] ?? env['NPM_CONFIG_USERCONFIG'];
  const home = env['HOME'] ?? homedir();
  const settings: Record<string, string | boolean> = {
    ...parseNpmrc(await readOptional(user ?? join(home, '.npmrc')), env),
    ...parseNpmrc(await readOptional(join(configDir, '.npmrc')), env),
    ...fromEnvironment(env),
    ...(registry !== undefined && { registry }),
  };
  // npm's libraries take the content cache itself: <cache>/_cacache, as the npm CLI passes it.
  const cache = settings['cache'];
  settings['cache'] = join(typeof cache === 'string' ? cache : join(home, '.npm'), '_cacache');
  const cafile = settings['cafile'];
  if (typeof cafile === 'string' && settings['ca'] === undefined)
    return { ...settings, ca: await readFile(cafile, 'utf8') };
  return settings;
};

/**
 * The registry npm fetches `name` from: its scope's `@scope:registry`, else `registry` (which
 * `lock.registry` sets), else the public one. Version, integrity and attestations are read there,
 * so `lock` pins what the store then installs. Pure.
 * @example registryFor({ '@corp:registry': 'https://corp.example/' }, '@corp/tool') // 'https://corp.example/'
 */
export const registryFor = (settings: NpmSettings, name: string): string => {
  const scope = name.startsWith('@') ? name.slice(0, name.indexOf('/')) : undefined;
  const scoped = scope === undefined ? undefined : settings[`${scope}:registry`];
  const registry = typeof scoped === 'string' && scoped !== '' ? scoped : settings['registry'];
  return typeof registry === 'string' && registry !== '' ? registry : DEFAULT_REGISTRY;
};
