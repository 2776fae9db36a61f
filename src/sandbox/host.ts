import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, lstatSync, readlinkSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { SandboxError } from '../errors.js';

// What the host offers a sandbox: bwrap and its user namespaces, the uid a server runs as, the
// root entries that are symlinks. Checked once per process.

/** The uid the support probe runs as when toolgate itself runs as root (RLIMIT_NPROC exempts root). */
const UNPRIVILEGED_ID = 65534;
/** Per-server sandbox uids: the range systemd leaves to containers' user namespaces, no host account in it. */
const SANDBOX_UID_FIRST = 0x80000;
const SANDBOX_UID_LAST = 0x6fffffff;

/**
 * The host uid (and gid) of a server's sandbox when toolgate runs as root: `sandbox.uid`, else one
 * derived from the server id. Its own per server, never a shared `nobody`: a host process of one uid
 * can read `/proc/PID/environ` (the secrets) of every process of that uid, and ptrace it.
 * @example sandboxUid('files') // the same number at every start
 */
export const sandboxUid = (id: string, configured?: number): number =>
  configured ??
  SANDBOX_UID_FIRST +
    (createHash('sha256').update(id).digest().readUInt32BE(0) %
      (SANDBOX_UID_LAST - SANDBOX_UID_FIRST + 1));
export const SANDBOX_PATH = '/usr/local/bin:/usr/bin:/bin';
const FIX_BWRAP =
  'install bubblewrap (Debian/Ubuntu: apt-get install -y bubblewrap; Fedora: dnf install bubblewrap)';
const FIX_USERNS =
  'enable unprivileged user namespaces (sysctl -w kernel.unprivileged_userns_clone=1 and user.max_user_namespaces=10000; on Ubuntu 24.04+ also kernel.apparmor_restrict_unprivileged_userns=0), or run inside a container that allows them';

export interface HostSupport {
  readonly bwrap: string;
  readonly disableUserns: boolean;
}

export const which = (name: string, path = process.env['PATH'] ?? ''): string | undefined => {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
};

const run = (file: string, args: readonly string[], ids: { uid?: number; gid?: number }) =>
  new Promise<{ ok: boolean; output: string }>((done) => {
    execFile(file, args, { timeout: 15_000, ...ids }, (error, stdout, stderr) =>
      done({ ok: !error, output: `${stdout}${stderr}`.trim() }),
    );
  });

let support: Promise<HostSupport> | undefined;

/** Checks once per process that a sandbox can be built here; fails closed with the reason and the fix. */
export const checkSandboxSupport = (): Promise<HostSupport> => {
  support ??= (async () => {
    if (process.platform !== 'linux')
      throw new SandboxError(
        'SANDBOX_UNSUPPORTED',
        `no sandbox on ${process.platform}: only Linux (bubblewrap) is supported; macOS Seatbelt profiles are generated but untested. Set "sandbox: false" on the server to run it unsandboxed, knowingly`,
      );
    const bwrap = which('bwrap');
    if (!bwrap)
      throw new SandboxError(
        'SANDBOX_UNAVAILABLE',
        `bwrap (bubblewrap) not found on PATH: ${FIX_BWRAP}`,
      );
    if (!existsSync('/usr/bin/prlimit'))
      throw new SandboxError(
        'SANDBOX_UNAVAILABLE',
        '/usr/bin/prlimit not found: install util-linux',
      );
    const links = rootSymlinks().flatMap(([path, target]) => ['--symlink', target, path]);
    const probe = await run(
      bwrap,
      [
        '--unshare-user',
        '--unshare-pid',
        '--unshare-net',
        '--ro-bind',
        '/usr',
        '/usr',
        ...links,
        '--',
        '/usr/bin/true',
      ],
      sandboxIds(),
    );
    if (!probe.ok)
      throw new SandboxError(
        'SANDBOX_UNAVAILABLE',
        `bubblewrap cannot create user namespaces here (${probe.output || 'no output'}): ${FIX_USERNS}`,
      );
    const help = await run(bwrap, ['--help'], {});
    return { bwrap, disableUserns: help.output.includes('--disable-userns') };
  })();
  // A failed check is retried at the next start (the admin may have fixed it meanwhile).
  support.catch(() => (support = undefined));
  return support;
};

/** Without root the sandbox keeps toolgate's uid: switching needs privilege (or newuidmap and a subuid range). */
export const sandboxIds = (uid = UNPRIVILEGED_ID): { uid?: number; gid?: number } =>
  process.getuid?.() === 0 ? { uid, gid: uid } : {};

export const rootSymlinks = (): Array<readonly [string, string]> =>
  ['/bin', '/sbin', '/lib', '/lib64', '/lib32', '/libx32'].flatMap((path) => {
    try {
      return lstatSync(path).isSymbolicLink() ? [[path, readlinkSync(path)] as const] : [];
    } catch {
      return [];
    }
  });
