import type { SandboxConfig } from '../config/schema.js';

/** Where things live inside the sandbox. */
export const SANDBOX_HOME = '/home/sandbox';
const SANDBOX_RUN = '/run/toolgate';
const BRIDGE_PORT = 3128;

const MiB = 1024 * 1024;

export interface ProfileInput {
  readonly sandbox: SandboxConfig;
  /** Absolute path of the executable (resolved on the host). */
  readonly command: string;
  readonly args: readonly string[];
  /** Host paths to bind read-only: runtime, the server's package, its node_modules, configured extras. */
  readonly readOnly: readonly string[];
  /** File arguments bound read-only as that file alone: the resolved host file, and the path the server opens. */
  readonly files?: readonly (readonly [source: string, path: string])[] | undefined;
  /** Host root entries that are symlinks (merged /usr: /bin → usr/bin), recreated as symlinks. */
  readonly rootSymlinks: readonly (readonly [path: string, target: string])[];
  readonly cwd?: string | undefined;
  /** fd number bwrap reads the seccomp BPF program from, when seccomp is on. */
  readonly seccompFd?: number | undefined;
  readonly disableUserns: boolean;
  /** Egress: the proxy socket on the host and the bridge script, both bound under /run/toolgate. */
  readonly egress?:
    | { readonly socketPath: string; readonly bridgeScript: string; readonly node: string }
    | undefined;
}

/** System paths bound read-only when present: libraries, CA certificates, time zone data, the dynamic loader config. */
const SYSTEM_READ_ONLY = [
  '/usr',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/alternatives',
  '/etc/localtime',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
];

/**
 * The bubblewrap argv (after `bwrap`) of one server: every namespace new, nothing of the host but
 * read-only system paths, the runtime and the server's own package; an empty private home and a
 * size-capped /tmp; writable only where configured; rlimits via prlimit; egress only via the bridge.
 * Pure: the same input always gives the same argv, so it is unit-tested flag by flag.
 * @example bubblewrapArgs({ sandbox, command: '/usr/bin/node', args: ['server.js'], readOnly: ['/srv/pkg'], rootSymlinks: [], disableUserns: true })
 */
export const bubblewrapArgs = (input: ProfileInput): string[] => {
  const { sandbox } = input;
  const argv = isolationArgs(input.disableUserns, String(sandbox.tmpSizeMb * MiB));
  for (const [path, target] of input.rootSymlinks) argv.push('--symlink', target, path);
  for (const path of SYSTEM_READ_ONLY) argv.push('--ro-bind-try', path, path);
  for (const path of unique(input.readOnly)) argv.push('--ro-bind', path, path);
  for (const [source, path] of input.files ?? []) argv.push('--ro-bind', source, path);
  for (const path of unique(sandbox.readOnly)) argv.push('--ro-bind', path, path);
  for (const path of unique(sandbox.writable)) argv.push('--bind', path, path);
  // The working directory keeps its host path (relative args resolve as they would outside) but is
  // only an empty directory unless it, or something in it, is bound above.
  if (input.cwd !== undefined) argv.push('--dir', input.cwd);
  argv.push('--chdir', input.cwd ?? SANDBOX_HOME);
  if (input.seccompFd !== undefined) argv.push('--seccomp', String(input.seccompFd));
  const limited = limitedCommand(sandbox, input.command, input.args);
  // bwrap's own tmpfs for / and /dev have no size option: once every mount point exists, both go
  // read-only (device nodes stay usable), so only the sized tmpfs above take writes.
  const readOnlyRoots = ['--remount-ro', '/dev', '--remount-ro', '/'];
  if (!input.egress) return [...argv, ...readOnlyRoots, '--', ...limited];
  const socket = `${SANDBOX_RUN}/egress.sock`;
  const bridge = `${SANDBOX_RUN}/bridge.mjs`;
  argv.push(
    '--ro-bind',
    input.egress.socketPath,
    socket,
    '--ro-bind',
    input.egress.bridgeScript,
    bridge,
  );
  return [
    ...argv,
    ...readOnlyRoots,
    '--',
    input.egress.node,
    bridge,
    String(BRIDGE_PORT),
    socket,
    '--',
    ...limited,
  ];
};

/** Namespaces, lifetime, /proc, /dev and the sized tmpfs: what every sandbox starts from. */
const isolationArgs = (disableUserns: boolean, tmpBytes: string): string[] => [
  // Namespaces: no view of host users, processes, IPC, host name, cgroups, and no network at all.
  '--unshare-user',
  '--unshare-pid',
  '--unshare-ipc',
  '--unshare-uts',
  '--unshare-net',
  '--unshare-cgroup-try',
  ...(disableUserns ? ['--disable-userns'] : []),
  '--hostname',
  'toolgate-sandbox',
  // Lifetime and privileges: dies with the gateway, no controlling terminal (TIOCSTI), no capabilities.
  '--die-with-parent',
  '--new-session',
  '--cap-drop',
  'ALL',
  '--proc',
  '/proc',
  '--dev',
  '/dev',
  // Every writable tmpfs has a size: unsized, each could take half of host RAM, outside memoryMb.
  '--perms',
  '1777',
  '--size',
  tmpBytes,
  '--tmpfs',
  '/dev/shm',
  '--perms',
  '1777',
  '--size',
  tmpBytes,
  '--tmpfs',
  '/tmp',
  '--perms',
  '0700',
  '--size',
  tmpBytes,
  '--tmpfs',
  SANDBOX_HOME,
];

/** rlimits, set by prlimit right before exec; the bridge (our code) stays outside them. */
const limitedCommand = (
  sandbox: SandboxConfig,
  command: string,
  args: readonly string[],
): string[] => [
  '/usr/bin/prlimit',
  `--as=${sandbox.memoryMb * MiB}`,
  // Soft then hard: SIGXCPU first (a clear exit reason), SIGKILL a second later.
  `--cpu=${sandbox.cpuSeconds}:${sandbox.cpuSeconds + 1}`,
  `--nproc=${sandbox.processes}`,
  `--fsize=${sandbox.fileSizeMb * MiB}`,
  `--nofile=${sandbox.openFiles}`,
  '--core=0',
  '--',
  command,
  ...args,
];

/** The proxy variables a sandboxed server sees when it has egress. */
export const proxyEnvironment = (): Record<string, string> => {
  const url = `http://127.0.0.1:${BRIDGE_PORT}`;
  return {
    HTTP_PROXY: url,
    HTTPS_PROXY: url,
    http_proxy: url,
    https_proxy: url,
    NO_PROXY: '',
    no_proxy: '',
  };
};

const unique = (paths: readonly string[]): string[] => [...new Set(paths)];
