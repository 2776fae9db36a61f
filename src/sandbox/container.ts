import type { ContainerServerConfig } from '../config/schema.js';

/**
 * The hardened `docker run`/`podman run` argv of a container server: read-only root, every capability
 * dropped, no new privileges, a non-root user, memory/CPU/pid limits, a size-capped tmpfs /tmp, and no
 * network (egress for containers is not bridged yet: `--network none` always).
 * Secrets are passed by name only (`--env NAME`), so their values never appear in the argv (`ps`).
 * @example containerArgs(server, ['GITHUB_TOKEN']) // ['run', '--rm', '-i', …, 'ghcr.io/x/y@sha256:…']
 */
export const containerArgs = (
  server: ContainerServerConfig,
  envNames: readonly string[],
): string[] => [
  'run',
  '--rm',
  '-i',
  '--init',
  '--read-only',
  '--cap-drop',
  'ALL',
  '--security-opt',
  'no-new-privileges',
  '--user',
  server.user,
  '--network',
  'none',
  '--memory',
  `${server.memoryMb}m`,
  '--memory-swap',
  `${server.memoryMb}m`,
  '--cpus',
  String(server.cpus),
  '--pids-limit',
  String(server.pids),
  '--ulimit',
  'nofile=1024:1024',
  '--ulimit',
  'core=0',
  '--tmpfs',
  '/tmp:rw,noexec,nosuid,nodev,size=64m',
  ...(server.engine === 'podman' ? ['--userns', 'auto'] : []),
  ...envNames.flatMap((name) => ['--env', name]),
  '--',
  server.image,
  ...server.args,
];
