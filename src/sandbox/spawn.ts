import { randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { ContainerServerConfig, StdioServerConfig } from '../config/schema.js';
import type { Outbound } from '../core/outbound.js';
import { SandboxError } from '../errors.js';
import { startEgressProxy, type EgressEvent, type EgressProxy } from '../egress/proxy.js';
import { writableRoots } from './arguments.js';
import { configuredBinds, derivedBinds, runtimePaths } from './binds.js';
import { containerArgs } from './container.js';
import {
  checkSandboxSupport,
  rootSymlinks,
  SANDBOX_PATH,
  sandboxIds,
  sandboxUid,
  which,
} from './host.js';
import { bubblewrapArgs, proxyEnvironment, SANDBOX_HOME } from './profiles.js';
import { buildSeccompFilter, hostSeccompArch } from './seccomp.js';
import { assertReachable, ensureStateDir, withStateDir } from './state-dir.js';

export { checkSandboxSupport } from './host.js';

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

const bridgeScript = (): string => {
  const sibling = new URL('./bridge.js', import.meta.url).pathname;
  if (existsSync(sibling)) return sibling;
  // Running from sources (tests): use the built copy.
  return resolve(dirname(sibling), '../../dist/src/sandbox/bridge.js');
};

type OnEvent = (event: SandboxEvent) => Promise<void>;

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
  onEvent: OnEvent,
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
  // Relative paths (args, binds, stateDir) mean what they mean to an unsandboxed server: relative to its cwd.
  const cwd = resolve(server.cwd ?? process.cwd());
  const state = server.stateDir === undefined ? undefined : resolve(cwd, server.stateDir);
  const named =
    state === undefined ? { env, args: [...server.args] } : withStateDir(env, server.args, state);
  const ids = server.sandbox === false ? {} : sandboxIds(sandboxUid(id, server.sandbox.uid));
  if (state !== undefined) await ensureStateDir(id, state, ids);
  if (server.sandbox === false) {
    const warning = `server "${id}" runs UNSANDBOXED (sandbox: false): it can read and write what toolgate can and reach any host`;
    await onEvent({ kind: 'sandbox', mode: 'off', warning });
    return {
      command: server.command,
      args: named.args,
      env: named.env,
      ...(server.cwd !== undefined && { cwd: server.cwd }),
      close: async () => undefined,
    };
  }
  return prepareBubblewrap(
    id,
    { ...server, args: named.args, sandbox: server.sandbox },
    { cwd, state, ids, env: named.env },
    onEvent,
    outbound,
  );
};

type Sandboxed = StdioServerConfig & { sandbox: Exclude<StdioServerConfig['sandbox'], false> };

/**
 * The real path of a server's command, as its cwd and PATH name it: bubblewrap binds that file, so a
 * command it cannot find is refused here, before anything starts.
 */
const resolveCommand = (
  id: string,
  command: string,
  cwd: string,
  path: string | undefined,
): string => {
  const found =
    isAbsolute(command) || command.includes('/') ? resolve(cwd, command) : which(command, path);
  if (!found)
    throw new SandboxError(
      'SANDBOX_UNAVAILABLE',
      `server "${id}": command ${command} not found on PATH`,
    );
  return realpathSync(found);
};

const prepareBubblewrap = async (
  id: string,
  server: Sandboxed,
  at: {
    cwd: string;
    state: string | undefined;
    ids: { uid?: number; gid?: number };
    env: Record<string, string>;
  },
  onEvent: OnEvent,
  outbound: Outbound,
): Promise<Launch> => {
  const host = await checkSandboxSupport();
  const { cwd, ids } = at;
  const sandbox = configuredBinds(
    id,
    server.sandbox,
    cwd,
    at.state === undefined ? [] : [at.state],
  );
  const roots = writableRoots(sandbox.writable);
  const command = resolveCommand(id, server.command, cwd, at.env['PATH']);
  const { readOnly, files } = derivedBinds(server, command, cwd, roots);
  const node = realpathSync(process.execPath);
  // The bridge (our code, plain node) runs inside too when the server has egress.
  const bridge = server.egress.allow.length > 0 ? [...runtimePaths(node), bridgeScript()] : [];
  assertReachable(
    id,
    [
      command,
      ...readOnly,
      ...bridge,
      ...files.map(([source]) => source),
      ...sandbox.readOnly,
      ...sandbox.writable,
    ],
    ids,
  );
  const egress = await startEgress(server, ids, node, onEvent, outbound);
  if (egress) readOnly.push(...runtimePaths(node));
  const arch = hostSeccompArch();
  const seccomp = sandbox.seccomp && arch !== undefined;
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
    egress: egress?.bridge,
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
      ...at.env,
      HOME: SANDBOX_HOME,
      TMPDIR: '/tmp',
      PATH: SANDBOX_PATH,
      ...(egress && proxyEnvironment()),
    },
    ...ids,
    ...(seccomp && arch && { fd3: buildSeccompFilter(arch) }),
    close: async () => egress?.close(),
  };
};

/** A server with an egress allowlist gets its own proxy, on a Unix socket the bridge reaches from inside. */
const startEgress = async (
  server: Sandboxed,
  ids: { uid?: number },
  node: string,
  onEvent: OnEvent,
  outbound: Outbound,
): Promise<
  | { bridge: { socketPath: string; bridgeScript: string; node: string }; close(): Promise<void> }
  | undefined
> => {
  if (server.egress.allow.length === 0) return undefined;
  const socketDir = await mkdtemp(join(tmpdir(), 'toolgate-egress-'));
  // Traverse-only for the unprivileged sandbox uid; the socket name is unguessable.
  if (ids.uid !== undefined) await chmod(socketDir, 0o711);
  const socketPath = join(socketDir, `${randomUUID()}.sock`);
  let proxy: EgressProxy;
  try {
    proxy = await startEgressProxy({
      config: server.egress,
      socketPath,
      onEvent: (event) => onEvent({ kind: 'egress', ...event }),
      outbound,
    });
  } catch (error) {
    await rm(socketDir, { recursive: true, force: true });
    throw error;
  }
  return {
    bridge: { socketPath, bridgeScript: bridgeScript(), node },
    close: async () => {
      await proxy.close();
      await rm(socketDir, { recursive: true, force: true });
    },
  };
};
