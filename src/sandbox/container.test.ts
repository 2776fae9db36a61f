import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { SANDBOX_DEFAULTS, type ContainerServerConfig } from '../config/schema.js';
import { containerArgs } from './container.js';
import { seatbeltProfile } from './seatbelt.js';

const server = parseConfig({
  servers: {
    gh: {
      image: 'ghcr.io/acme/mcp@sha256:' + 'a'.repeat(64),
      engine: 'podman',
      args: ['stdio'],
      secrets: { TOKEN: { env: 'X' } },
    },
  },
}).servers['gh'] as ContainerServerConfig;

describe('when a server is a container image', () => {
  const argv = containerArgs(server, ['TOKEN']);
  const pairs = argv.slice(0, -3).map((a, i) => `${a} ${argv[i + 1]}`);

  it('[SBX-11] gets a hardened run command: read-only, no caps, no new privileges, non-root, no network, limits', () => {
    expect(argv.slice(0, 3)).toEqual(['run', '--rm', '-i']);
    for (const flag of ['--read-only', '--init']) expect(argv).toContain(flag);
    for (const pair of [
      '--cap-drop ALL',
      '--security-opt no-new-privileges',
      '--user 65534:65534',
      '--network none',
      '--memory 1024m',
      '--cpus 1',
      '--pids-limit 256',
      '--userns auto',
    ])
      expect(pairs).toContain(pair);
    expect(argv.join(' ')).toContain('--tmpfs /tmp:rw,noexec,nosuid,nodev,size=64m');
    expect(argv.slice(-3)).toEqual(['--', server.image, 'stdio']);
  });

  it('[SBX-11] passes secrets by name only, never their values on the command line', () => {
    expect(pairs).toContain('--env TOKEN');
    expect(argv.join(' ')).not.toMatch(/TOKEN=/);
  });
});

describe('when generating a macOS Seatbelt profile (untested on macOS)', () => {
  it('[SBX-12] denies by default and allows reads, writes and the proxy port only where given', () => {
    const profile = seatbeltProfile(
      { ...SANDBOX_DEFAULTS, writable: ['/Users/me/data'] },
      { readOnly: ['/opt/pkg'], tmp: '/private/tmp/tg', proxyPort: 3128 },
    );
    expect(profile).toContain('(deny default)');
    expect(profile).toMatch(/\(allow file-read\* .*\(subpath "\/opt\/pkg"\)/);
    expect(profile).toMatch(
      /\(allow file-read\* file-write\* \(subpath "\/private\/tmp\/tg"\) \(subpath "\/Users\/me\/data"\)\)/,
    );
    expect(profile).toContain('(allow network-outbound (remote tcp "localhost:3128"))');
    expect(profile).not.toContain('(allow network*');
  });
});
