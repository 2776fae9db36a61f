import { createHash } from 'node:crypto';
import { serversOf } from './convert.js';

export const sha256 = (bytes: Uint8Array | string): string =>
  createHash('sha256').update(bytes).digest('hex');

/** What `--wrap` records beside the client config so `--unwrap` can restore it, and knows when not to. */
export interface WrapState {
  readonly backup: string;
  /** sha256 of the client config as `--wrap` wrote it: any later edit makes `--unwrap` refuse. */
  readonly wrappedSha256: string;
  readonly toolgateConfig: string;
}

/**
 * The client config with its servers replaced by one entry, `toolgate`, that starts
 * `toolgate run --config <abs>`; every other member of the file (a settings file holds much more) is
 * kept. `launcher` is the argv that runs toolgate (absolute: GUI clients have a minimal PATH).
 * Returns undefined when the document holds no servers member to replace.
 */
export const wrapClientConfig = (
  original: unknown,
  launcher: readonly [string, ...string[]],
  configPath: string,
): string | undefined => {
  const doc = structuredClone(original);
  const servers = serversOf(doc);
  if (servers === undefined) return undefined;
  const [command, ...launcherArgs] = launcher;
  const entry: Record<string, unknown> = {
    command,
    args: [...launcherArgs, 'run', '--config', configPath],
  };
  // VS Code's own format names the transport of each server.
  if (typeof doc === 'object' && doc !== null && !('mcpServers' in doc)) entry['type'] = 'stdio';
  for (const key of Object.keys(servers)) delete servers[key];
  servers['toolgate'] = entry;
  return JSON.stringify(doc, null, 2) + '\n';
};

/** The backup's name: beside the client config, with the wrap's UTC time (colons dropped for Windows). */
export const backupPathOf = (clientConfig: string, now: Date): string =>
  `${clientConfig}.toolgate-backup-${now
    .toISOString()
    .replace(/[:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}`;

export const statePathOf = (clientConfig: string): string => `${clientConfig}.toolgate-wrap.json`;
