import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

// Where managed packages and server data live on the host. Root gets system folders: its home is
// 0700, and a sandbox runs as its own unprivileged uid, which must reach both.

/** `$XDG_CACHE_HOME/toolgate/packages`, else `~/.cache/…`; for root `/var/cache/toolgate/packages`. Pure. */
export const defaultStoreRoot = (env: Env, uid: number, home: string): string =>
  join(
    env['XDG_CACHE_HOME'] ?? (uid === 0 ? '/var/cache' : join(home, '.cache')),
    'toolgate',
    'packages',
  );

/** `$XDG_STATE_HOME/toolgate/<server>`, else `~/.local/state/…`; for root `/var/lib/toolgate/<server>`. Pure. */
export const defaultStateDir = (id: string, env: Env, uid: number, home: string): string =>
  join(
    env['XDG_STATE_HOME'] ?? (uid === 0 ? '/var/lib' : join(home, '.local', 'state')),
    'toolgate',
    id,
  );

const uid = (): number => process.getuid?.() ?? -1;

/** `lock.store` (relative to the config) or the default root for this user. */
export const storeRootOf = (configured: string | undefined, configDir: string): string =>
  configured !== undefined
    ? resolve(configDir, configured)
    : defaultStoreRoot(process.env, uid(), homedir());

/** The state folder of a managed server when the config names none. */
export const stateDirOf = (id: string): string =>
  defaultStateDir(id, process.env, uid(), homedir());
