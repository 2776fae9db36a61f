import { describe, expect, it } from 'vitest';
import { SANDBOX_DEFAULTS } from '../config/schema.js';
import { bubblewrapArgs, proxyEnvironment, SANDBOX_HOME } from './profiles.js';

const base = {
  sandbox: { ...SANDBOX_DEFAULTS, writable: ['/srv/data'], readOnly: ['/srv/extra'] },
  command: '/usr/bin/node',
  args: ['/opt/pkg/dist/index.js', '--flag'],
  readOnly: ['/opt/pkg', '/opt/node_modules'],
  rootSymlinks: [['/lib64', 'usr/lib64']] as const,
  disableUserns: true,
};
/** The value after a flag, for each time the flag occurs. */
const after = (argv: string[], flag: string, n = 1) =>
  argv.flatMap((a, i) => (a === flag ? [argv.slice(i + 1, i + 1 + n).join(' ')] : []));

describe('when building the bubblewrap profile of a server', () => {
  const argv = bubblewrapArgs(base);
  const [outer, inner] = [argv.slice(0, argv.indexOf('--')), argv.slice(argv.indexOf('--') + 1)];

  it('[SBX-9] unshares every namespace, drops all capabilities, dies with the gateway, starts a new session', () => {
    for (const flag of [
      '--unshare-user',
      '--unshare-pid',
      '--unshare-ipc',
      '--unshare-uts',
      '--unshare-net',
      '--unshare-cgroup-try',
      '--disable-userns',
      '--die-with-parent',
      '--new-session',
    ])
      expect(outer).toContain(flag);
    expect(after(outer, '--cap-drop')).toEqual(['ALL']);
    expect(outer).not.toContain('--share-net');
  });

  it('[SBX-9] binds the system, runtime and package read-only, and only the configured paths writable', () => {
    expect(after(outer, '--ro-bind-try', 2)).toContain('/usr /usr');
    expect(after(outer, '--ro-bind', 2)).toEqual([
      '/opt/pkg /opt/pkg',
      '/opt/node_modules /opt/node_modules',
      '/srv/extra /srv/extra',
    ]);
    expect(after(outer, '--bind', 2)).toEqual(['/srv/data /srv/data']);
    expect(outer.join(' ')).not.toMatch(/--(ro-)?bind \/ |\/root/);
    expect(after(outer, '--symlink', 2)).toEqual(['usr/lib64 /lib64']);
  });

  it('[SBX-9] gives a size-capped /tmp and an empty private home', () => {
    const mib = String(SANDBOX_DEFAULTS.tmpSizeMb * 1024 * 1024);
    expect(outer.join(' ')).toContain(`--perms 1777 --size ${mib} --tmpfs /tmp`);
    expect(outer.join(' ')).toContain(`--perms 0700 --size ${mib} --tmpfs ${SANDBOX_HOME}`);
    expect(after(outer, '--chdir')).toEqual([SANDBOX_HOME]);
  });

  it("[SBX-15] sizes every writable tmpfs and makes bwrap's unsized / and /dev read-only, after every other mount", () => {
    const mib = String(SANDBOX_DEFAULTS.tmpSizeMb * 1024 * 1024);
    expect(outer.join(' ')).toContain(`--perms 1777 --size ${mib} --tmpfs /dev/shm`);
    expect(after(outer, '--tmpfs').length).toBe(after(outer, '--size').length);
    expect(outer.slice(-4)).toEqual(['--remount-ro', '/dev', '--remount-ro', '/']);
    const withEgress = bubblewrapArgs({
      ...base,
      egress: {
        socketPath: '/tmp/x/s.sock',
        bridgeScript: '/app/bridge.js',
        node: '/usr/bin/node',
      },
    });
    expect(withEgress.slice(0, withEgress.indexOf('--')).slice(-4)).toEqual([
      '--remount-ro',
      '/dev',
      '--remount-ro',
      '/',
    ]);
  });

  it('[SBX-14] binds a file argument as that file alone, from its real path to the path the server opens', () => {
    const withFiles = bubblewrapArgs({
      ...base,
      files: [['/srv/real/notes.txt', '/srv/app/notes.txt']],
    });
    expect(after(withFiles, '--ro-bind', 2)).toContain('/srv/real/notes.txt /srv/app/notes.txt');
    expect(after(withFiles, '--ro-bind', 2)).not.toContain('/srv/real /srv/real');
  });

  it('[SBX-9] sets every rlimit through prlimit, then runs the command', () => {
    const mib = 1024 * 1024;
    expect(inner).toEqual([
      '/usr/bin/prlimit',
      `--as=${SANDBOX_DEFAULTS.memoryMb * mib}`,
      `--cpu=${SANDBOX_DEFAULTS.cpuSeconds}:${SANDBOX_DEFAULTS.cpuSeconds + 1}`,
      `--nproc=${SANDBOX_DEFAULTS.processes}`,
      `--fsize=${SANDBOX_DEFAULTS.fileSizeMb * mib}`,
      `--nofile=${SANDBOX_DEFAULTS.openFiles}`,
      '--core=0',
      '--',
      '/usr/bin/node',
      '/opt/pkg/dist/index.js',
      '--flag',
    ]);
  });

  it('[SBX-9] reads the seccomp filter from the given fd', () => {
    expect(after(bubblewrapArgs({ ...base, seccompFd: 3 }), '--seccomp')).toEqual(['3']);
    expect(argv).not.toContain('--seccomp');
  });

  it('[EGR-6] runs the bridge before prlimit only when the server has egress, with the proxy socket bound', () => {
    const withEgress = bubblewrapArgs({
      ...base,
      egress: {
        socketPath: '/tmp/x/s.sock',
        bridgeScript: '/app/bridge.js',
        node: '/usr/bin/node',
      },
    });
    expect(withEgress.join(' ')).toContain(
      '--ro-bind /tmp/x/s.sock /run/toolgate/egress.sock --ro-bind /app/bridge.js /run/toolgate/bridge.mjs',
    );
    const command = withEgress.slice(withEgress.indexOf('--') + 1);
    expect(command.slice(0, 6)).toEqual([
      '/usr/bin/node',
      '/run/toolgate/bridge.mjs',
      '3128',
      '/run/toolgate/egress.sock',
      '--',
      '/usr/bin/prlimit',
    ]);
    expect(proxyEnvironment()).toMatchObject({
      HTTP_PROXY: 'http://127.0.0.1:3128',
      HTTPS_PROXY: 'http://127.0.0.1:3128',
    });
    expect(argv.join(' ')).not.toContain('egress.sock');
  });
});
