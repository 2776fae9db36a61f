import { describe, expect, it } from 'vitest';
import type { LockPackage } from '../pins/lock.js';
import { assertSameRelease } from './same-release.js';

const npm = (version: string, integrity: string): LockPackage => ({
  kind: 'npm',
  name: '@acme/mcp-notes',
  version,
  spec: `@acme/mcp-notes@${version}`,
  launcher: 'store',
  integrity,
  provenance: 'absent',
});

const pypi = (version: string, sha256: string): LockPackage => ({
  kind: 'pypi',
  name: 'notes-mcp',
  version,
  spec: `notes-mcp==${version}`,
  command: 'notes-mcp',
  python: '/usr/bin/python3.11',
  distributions: { [`notes_mcp-${version}-py3-none-any.whl`]: sha256 },
});

describe('a re-lock of a release the lock already pinned', () => {
  it('[PKG-14] refuses another npm tarball for the same name@version as a rug pull, naming both integrities', () => {
    const check = () =>
      assertSameRelease('notes', npm('1.2.3', 'sha512-old'), npm('1.2.3', 'sha512-new'));
    expect(check).toThrow(
      expect.objectContaining({
        code: 'PACKAGE_TAMPERED',
        message: expect.stringMatching(
          /sha512-new, but toolgate\.lock pinned sha512-old.*rug pull or a republish.*toolgate approve/,
        ),
      }),
    );
  });

  it('[PKG-14] takes the same tarball, a new version (an upgrade, reviewed by the lock diff), and a first lock', () => {
    expect(() =>
      assertSameRelease('notes', npm('1.2.3', 'sha512-a'), npm('1.2.3', 'sha512-a')),
    ).not.toThrow();
    expect(() =>
      assertSameRelease('notes', npm('1.2.3', 'sha512-a'), npm('1.2.4', 'sha512-b')),
    ).not.toThrow();
    expect(() => assertSameRelease('notes', undefined, npm('1.2.3', 'sha512-a'))).not.toThrow();
  });

  it('[PKG-13] refuses another wheel hash for the same name==version, and takes a new version', () => {
    expect(() => assertSameRelease('notes', pypi('1.0.0', 'aa'), pypi('1.0.0', 'bb'))).toThrow(
      expect.objectContaining({ code: 'PACKAGE_TAMPERED' }),
    );
    expect(() =>
      assertSameRelease('notes', pypi('1.0.0', 'aa'), pypi('1.0.1', 'bb')),
    ).not.toThrow();
  });

  it('[PKG-14] does not compare across package kinds (a server moved from npm to PyPI is a new package)', () => {
    expect(() =>
      assertSameRelease('notes', npm('1.0.0', 'sha512-a'), pypi('1.0.0', 'aa')),
    ).not.toThrow();
  });
});
