import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  lstatSync,
  readlinkSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { ContainerServerConfig, StdioServerConfig } from '../config/schema.js';
import type { Outbound } from '../core/outbound.js';
import { SandboxError } from '../errors.js';
import { startEgressProxy, type EgressEvent, type EgressProxy } from '../egress/proxy.js';
import { argumentPaths, isInside, isServerSteerable, realOf, writableRoots } from './arguments.js';
import { containerArgs } from './container.js';
import { bubblewrapArgs, proxyEnvironment, SANDBOX_HOME } from './profiles.js';
import { buildSeccompFilter, hostSeccompArch } from './seccomp.js';

export type SandboxEvent =
  | {
      kind: 'sandbox';
      mode: 'bubblewrap';
      uid: number;
      seccomp: boolean;
      egress: readonly string[];
      writable: readonly string[];
    }
  | { kind: 'sandbox'; mode: 'off'; warning: string }
  | { kind: 'sandbox'; mode: 'container'; engine: string; image: string }
  | ({ kind: 'egress' } & EgressEvent);

/** Everything needed to spawn one server: the (wrapped) argv, its environment, and what to clean up after. */
export interface Launch {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly uid?: number;
  readonly gid?: number;
  /** Written to the child's fd 3 (the seccomp program bwrap reads), then closed. */
  readonly fd3?: Buffer;
  close(): Promise<void>;
}

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
const sandboxUid = (id: string, configured?: number): number =>
  configured ??
  SANDBOX_UID_FIRST +
    (createHash('sha256').update(id).digest().readUInt32BE(0) %
      (SANDBOX_UID_LAST - SANDBOX_UID_FIRST + 1));
const SANDBOX_PATH = '/usr/local/bin:/usr/bin:/bin';
const FIX_BWRAP =
  'install bubblewrap (Debian/Ubuntu: apt-get install -y bubblewrap; Fedora: dnf install bubblewrap)';
const FIX_USERNS =
  'enable unprivileged user namespaces (sysctl -w kernel.unprivileged_userns_clone=1 and user.max_user_namespaces=10000; on Ubuntu 24.04+ also kernel.apparmor_restrict_unprivileged_userns=0), or run inside a container that allows them';

interface HostSupport {
  readonly bwrap: string;
  readonly disableUserns: boolean;
}

const which = (name: string, path = process.env['PATH'] ?? ''): string | undefined => {
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
const sandboxIds = (uid = UNPRIVILEGED_ID): { uid?: number; gid?: number } =>
  process.getuid?.() === 0 ? { uid, gid: uid } : {};

const SCRIPT = /\.[cm]?[jt]s$/;

const isSystemPath = (path: string): boolean => path === '/usr' || path.startsWith('/usr/');

/** Host paths a script needs: its package (or its top-level folder and package.json) and every node_modules node may resolve from. */
const packagePaths = (file: string): string[] => {
  const out: string[] = [];
  const dirs: string[] = [];
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    dirs.push(dir);
    if (dir === dirname(dir)) break;
  }
  for (const dir of dirs)
    if (existsSync(join(dir, 'node_modules'))) out.push(join(dir, 'node_modules'));
  const root = dirs.find((dir) => existsSync(join(dir, 'package.json')));
  if (root === undefined) out.push(dirname(file));
  else if (root.split(sep).includes('node_modules')) out.push(root);
  else {
    out.push(join(root, 'package.json'));
    const top = file.slice(root.length + 1).split(sep)[0];
    out.push(top ? join(root, top) : root);
  }
  return out.filter((p) => !isSystemPath(p));
};

/** The runtime of an executable outside /usr (e.g. ~/.nvm/…/bin/node): its install prefix. */
const runtimePaths = (executable: string): string[] => {
  if (isSystemPath(executable)) return [];
  const bin = dirname(executable);
  return bin.endsWith('/bin') ? [dirname(bin)] : [bin];
};

const rootSymlinks = (): Array<readonly [string, string]> =>
  ['/bin', '/sbin', '/lib', '/lib64', '/lib32', '/libx32'].flatMap((path) => {
    try {
      return lstatSync(path).isSymbolicLink() ? [[path, readlinkSync(path)] as const] : [];
    } catch {
      return [];
    }
  });

const bridgeScript = (): string => {
  const sibling = new URL('./bridge.js', import.meta.url).pathname;
  if (existsSync(sibling)) return sibling;
  // Running from sources (tests): use the built copy.
  return resolve(dirname(sibling), '../../dist/src/sandbox/bridge.js');
};

/**
 * Prepares the launch of a stdio server: inside a bubblewrap sandbox (the default on Linux), as a
 * hardened container, or, when the config says `sandbox: false`, as a plain child with a warning event.
 * `env` is the server's environment (minimal base, its own variables and its secrets). `onEvent`
 * resolves once the event is recorded (an egress connection waits for its decision's record), and
 * `outbound` is the way out each egress decision's entry is written through before its connection.
 */
export const prepareLaunch = async (
  id: string,
  server: StdioServerConfig | ContainerServerConfig,
  env: Record<string, string>,
  onEvent: (event: SandboxEvent) => Promise<void>,
  outbound: Outbound,
): Promise<Launch> => {
  if ('image' in server) {
    await onEvent({
      kind: 'sandbox',
      mode: 'container',
      engine: server.engine,
      image: server.image,
    });
    const names = Object.keys(server.env).concat(Object.keys(server.secrets));
    return {
      command: server.engine,
      args: containerArgs(server, names),
      env,
      close: async () => undefined,
    };
  }
  if (server.sandbox === false) {
    const warning = `server "${id}" runs UNSANDBOXED (sandbox: false): it can read and write what toolgate can and reach any host`;
    await onEvent({ kind: 'sandbox', mode: 'off', warning });
    return {
      command: server.command,
      args: server.args,
      env,
      ...(server.cwd !== undefined && { cwd: server.cwd }),
      close: async () => undefined,
    };
  }
  const host = await checkSandboxSupport();
  // Relative paths (args, binds) mean what they mean to an unsandboxed server: relative to its cwd.
  const cwd = resolve(server.cwd ?? process.cwd());
  const sandbox = {
    ...server.sandbox,
    readOnly: server.sandbox.readOnly.map((p) => resolve(cwd, p)),
    writable: server.sandbox.writable.map((p) => resolve(cwd, p)),
  };
  for (const path of [...sandbox.readOnly, ...sandbox.writable])
    if (!existsSync(path))
      throw new SandboxError(
        'SANDBOX_UNAVAILABLE',
        `server "${id}": sandbox path ${path} does not exist (create it, or fix sandbox.readOnly/writable)`,
      );
  // bwrap follows a bind's source if it is a symlink: a configured bind inside a writable folder is
  // one the server could point anywhere on the host before its next start.
  for (const path of [...sandbox.readOnly, ...sandbox.writable]) {
    const others = writableRoots(sandbox.writable.filter((w) => w !== path));
    if (isServerSteerable(path, others))
      throw new SandboxError(
        'SANDBOX_BIND_WRITABLE',
        `server "${id}": sandbox path ${path} lies in (or goes through) another writable path of the server, which could replace it with a symlink; bind the outer folder only`,
      );
  }
  const roots = writableRoots(sandbox.writable);
  const found =
    isAbsolute(server.command) || server.command.includes('/')
      ? resolve(cwd, server.command)
      : which(server.command, env['PATH']);
  if (!found)
    throw new SandboxError(
      'SANDBOX_UNAVAILABLE',
      `server "${id}": command ${server.command} not found on PATH`,
    );
  const command = realpathSync(found);
  const derived = [
    ...runtimePaths(command),
    ...(isSystemPath(command) ? [] : packagePaths(command)),
  ];
  // The first file argument is the entry (the script an interpreter runs): its package is bound, as
  // for a later script (`node --import ./hooks.mjs server.js`). Every other file argument (data) is
  // bound as that file alone, at the path the server opens, so its neighbours stay invisible.
  const files: Array<readonly [string, string]> = [];
  let entry = true;
  for (const { path } of argumentPaths(server.args, cwd)) {
    const real = realOf(path);
    if (real === undefined || !statSync(real).isFile()) continue;
    const first = entry;
    entry = false;
    // Never derived from what the server can write: such a file is reachable through its writable
    // bind (a link it planted there points into the sandbox's view, where the host target is absent).
    if (isServerSteerable(path, roots)) continue;
    // The server opens the path as given: through an admin's symlink (a `current` release link, a
    // linked node_modules) its package must be there too, not only at the real path.
    if (first || SCRIPT.test(real))
      derived.push(...packagePaths(real), ...(path === real ? [] : packagePaths(path)));
    else files.push([real, path]);
  }
  if (server.cwd !== undefined) derived.push(cwd);
  const readOnly = derived.filter(
    (path) => !isInside(path, roots) && !isInside(realOf(path) ?? path, roots),
  );
  const ids = sandboxIds(sandboxUid(id, server.sandbox.uid));
  const arch = hostSeccompArch();
  const seccomp = sandbox.seccomp && arch !== undefined;

  let proxy: EgressProxy | undefined;
  let socketDir: string | undefined;
  let egress: { socketPath: string; bridgeScript: string; node: string } | undefined;
  if (server.egress.allow.length > 0) {
    socketDir = await mkdtemp(join(tmpdir(), 'toolgate-egress-'));
    // Traverse-only for the unprivileged sandbox uid; the socket name is unguessable.
    if (ids.uid !== undefined) await chmod(socketDir, 0o711);
    const socketPath = join(socketDir, `${randomUUID()}.sock`);
    proxy = await startEgressProxy({
      config: server.egress,
      socketPath,
      onEvent: (event) => onEvent({ kind: 'egress', ...event }),
      outbound,
    });
    const node = realpathSync(process.execPath);
    readOnly.push(...runtimePaths(node));
    egress = { socketPath, bridgeScript: bridgeScript(), node };
  }
  const args = bubblewrapArgs({
    sandbox,
    command,
    args: server.args,
    readOnly,
    files,
    rootSymlinks: rootSymlinks(),
    cwd,
    seccompFd: seccomp ? 3 : undefined,
    disableUserns: host.disableUserns,
    egress,
  });
  await onEvent({
    kind: 'sandbox',
    mode: 'bubblewrap',
    uid: ids.uid ?? process.getuid?.() ?? -1,
    seccomp,
    egress: server.egress.allow,
    writable: sandbox.writable,
  });
  return {
    command: host.bwrap,
    args,
    env: {
      ...env,
      HOME: SANDBOX_HOME,
      TMPDIR: '/tmp',
      PATH: SANDBOX_PATH,
      ...(egress && proxyEnvironment()),
    },
    ...ids,
    ...(seccomp && arch && { fd3: buildSeccompFilter(arch) }),
    close: async () => {
      await proxy?.close();
      if (socketDir) await rm(socketDir, { recursive: true, force: true });
    },
  };
};
