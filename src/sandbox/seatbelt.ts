import type { SandboxConfig } from '../config/schema.js';

const quote = (path: string): string => `"${path.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * A macOS Seatbelt (sandbox-exec) profile equivalent in spirit to the bubblewrap profile: deny by
 * default, read-only system and package paths, writes only to configured paths and a private temp
 * dir, network only to the egress proxy's loopback port. UNTESTED: no macOS runs toolgate's CI; it
 * is generated for review and is never used automatically.
 * @example seatbeltProfile(sandbox, { readOnly: ['/opt/server'], tmp: '/private/tmp/tg-x', proxyPort: 3128 })
 */
export const seatbeltProfile = (
  sandbox: SandboxConfig,
  paths: {
    readonly readOnly: readonly string[];
    readonly tmp: string;
    readonly proxyPort?: number;
  },
): string => {
  const reads = [
    '/usr',
    '/System',
    '/Library/Apple',
    '/private/etc/ssl',
    '/dev/null',
    '/dev/urandom',
    ...paths.readOnly,
    ...sandbox.readOnly,
  ];
  const writes = [paths.tmp, ...sandbox.writable];
  return [
    '(version 1)',
    '(deny default)',
    '(allow process-fork)',
    '(allow process-exec (subpath "/usr") ' +
      paths.readOnly.map((p) => `(subpath ${quote(p)})`).join(' ') +
      ')',
    '(allow signal (target same-sandbox))',
    '(allow sysctl-read)',
    '(allow mach-lookup (global-name "com.apple.system.logger"))',
    `(allow file-read* ${reads.map((p) => `(subpath ${quote(p)})`).join(' ')})`,
    `(allow file-read* file-write* ${writes.map((p) => `(subpath ${quote(p)})`).join(' ')})`,
    ...(paths.proxyPort !== undefined
      ? [`(allow network-outbound (remote tcp "localhost:${paths.proxyPort}"))`]
      : []),
    '',
  ].join('\n');
};
