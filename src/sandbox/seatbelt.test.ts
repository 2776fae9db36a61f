import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SANDBOX_DEFAULTS } from '../config/schema.js';
import { seatbeltProfile } from './seatbelt.js';

/** The string literals of a profile, unescaped as sandbox-exec's Scheme reader reads them. */
const literals = (profile: string): string[] =>
  [...profile.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? '').replace(/\\(.)/g, '$1'));

describe('when a macOS Seatbelt profile is generated', () => {
  const profile = seatbeltProfile(
    { ...SANDBOX_DEFAULTS, writable: ['/Users/u/data'], readOnly: ['/opt/shared'] },
    { readOnly: ['/opt/server'], tmp: '/private/tmp/tg-1', proxyPort: 3128 },
  );
  const lines = profile.split('\n');

  it('[SBX-12] denies by default before it allows anything', () => {
    expect(lines.slice(0, 2)).toEqual(['(version 1)', '(deny default)']);
  });

  it('[SBX-12] writes only to the private temp dir and the configured writable paths', () => {
    const writes = lines.filter((l) => l.includes('file-write*'));
    expect(writes).toEqual([
      '(allow file-read* file-write* (subpath "/private/tmp/tg-1") (subpath "/Users/u/data"))',
    ]);
  });

  it('[SBX-12] reads the system, the package and the configured read-only paths', () => {
    const read = lines.find((l) => l.startsWith('(allow file-read* (subpath'));
    for (const path of ['/usr', '/opt/server', '/opt/shared'])
      expect(read).toContain(`(subpath "${path}")`);
    expect(read).not.toContain('/Users/u/data');
  });

  it('[SBX-12] reaches the network only at the egress proxy’s port, and not at all without it', () => {
    expect(lines.filter((l) => l.includes('network'))).toEqual([
      '(allow network-outbound (remote tcp "localhost:3128"))',
    ]);
    const closed = seatbeltProfile(SANDBOX_DEFAULTS, { readOnly: [], tmp: '/private/tmp/tg-2' });
    expect(closed).not.toContain('network');
  });

  it('[SBX-12] keeps any path inside its string literal: quotes and backslashes cannot add rules', () =>
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (path) => {
        const text = seatbeltProfile(
          { ...SANDBOX_DEFAULTS, writable: [path] },
          { readOnly: [], tmp: '/private/tmp/tg-3' },
        );
        expect(literals(text)).toContain(path);
        expect(text.split('\n').filter((l) => l.includes('file-write*'))).toHaveLength(1);
      }),
    ));
});
