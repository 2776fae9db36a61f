import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PackageError } from '../errors.js';
import { hashTree } from './fingerprint.js';
import { tarballTree } from './tarball.js';

const LONG = `${'deep/'.repeat(25)}file.js`; // past ustar's 100-byte name field

/** A package folder, and its npm-style tarball (`package/…`) packed by the system's GNU tar. */
const packed = (format: 'gnu' | 'pax') => {
  const root = mkdtempSync(join(tmpdir(), 'toolgate-tarball-'));
  const pkg = join(root, 'package');
  const files: Record<string, string> = {
    'package.json': '{"name":"p","version":"1.0.0"}',
    'dist/index.js': 'export const x = 1;\n',
    [LONG]: 'long\n',
    'node_modules/dep/index.js': 'not installed from the tarball',
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(pkg, path, '..'), { recursive: true });
    writeFileSync(join(pkg, path), text);
  }
  const tgz = join(root, 'p.tgz');
  execFileSync('tar', ['--format', format, '-czf', tgz, '-C', root, 'package']);
  return { pkg, tgz: readFileSync(tgz) };
};

describe('when a registry tarball is compared with an installed copy', () => {
  it.each(['gnu', 'pax'] as const)(
    '[PKG-8] hashes a %s tarball exactly as the installed folder, long names included',
    async (format) => {
      const { pkg, tgz } = packed(format);
      expect(tarballTree(tgz)).toBe(await hashTree(pkg));
    },
  );

  it('[PKG-8] differs when one byte of one file differs', async () => {
    const { pkg, tgz } = packed('gnu');
    writeFileSync(join(pkg, 'dist/index.js'), 'export const x = 2;\n');
    expect(tarballTree(tgz)).not.toBe(await hashTree(pkg));
  });

  it('[PKG-8] refuses a tarball that does not unpack with PACKAGE_TAMPERED', () => {
    expect(() => tarballTree(Buffer.from('not gzip'))).toThrow(
      expect.objectContaining({ code: 'PACKAGE_TAMPERED' }),
    );
  });

  it('[PKG-8] reads any unpacked bytes without crashing: a digest or PACKAGE_TAMPERED', () =>
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), (bytes, zip) => {
        try {
          expect(tarballTree(zip ? gzipSync(bytes) : Buffer.from(bytes))).toMatch(/^[0-9a-f]{64}$/);
        } catch (error) {
          expect(error).toBeInstanceOf(PackageError);
        }
      }),
      { numRuns: 200 },
    ));
});

describe('when an installed package is hashed', () => {
  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-tree-'));
    mkdirSync(join(dir, 'lib'));
    mkdirSync(join(dir, 'node_modules/dep'), { recursive: true });
    writeFileSync(join(dir, 'lib/a.js'), 'a');
    writeFileSync(join(dir, 'node_modules/dep/i.js'), 'dep');
    return dir;
  };

  it('[PKG-5] leaves its own node_modules out unless asked for the nested tree', async () => {
    const dir = folder();
    const own = await hashTree(dir);
    const nested = await hashTree(dir, true);
    writeFileSync(join(dir, 'node_modules/dep/i.js'), 'tampered dep');
    expect(await hashTree(dir)).toBe(own);
    expect(await hashTree(dir, true)).not.toBe(nested);
  });

  it('[PKG-5] hashes a symlink by its target, never following it', async () => {
    const dir = folder();
    const outside = join(mkdtempSync(join(tmpdir(), 'toolgate-outside-')), 'o.js');
    writeFileSync(outside, 'one');
    symlinkSync(outside, join(dir, 'link.js'));
    const before = await hashTree(dir);
    writeFileSync(outside, 'two');
    expect(await hashTree(dir)).toBe(before);
    const other = folder();
    symlinkSync(`${outside}.moved`, join(other, 'link.js'));
    expect(await hashTree(other)).not.toBe(before);
  });
});
