import { describe, expect, it } from 'vitest';
import type { InstalledPackage } from '../packages/installed-tree.js';
import { buildSbom, npmPurl, sriToHashes, type SbomServer } from './build.js';

const pkg = (
  name: string,
  version: string,
  dependsOn: string[] = [],
  integrity?: string,
): InstalledPackage => ({ name, version, dependsOn, integrity });
const base = {
  serialNumber: 'urn:uuid:00000000-0000-4000-8000-000000000000',
  timestamp: '2026-12-07T00:00:00.000Z',
  toolVersion: '9.9.9',
};

describe('sbom builder', () => {
  it('[SBOM-1] percent-encodes the scope and version of a purl', () => {
    expect(npmPurl('left-pad', '1.3.0')).toBe('pkg:npm/left-pad@1.3.0');
    expect(npmPurl('@modelcontextprotocol/server-memory', '2026.8.31')).toBe(
      'pkg:npm/%40modelcontextprotocol/server-memory@2026.8.31',
    );
    expect(npmPurl('x', '1.0.0+build.1')).toBe('pkg:npm/x@1.0.0%2Bbuild.1');
  });

  it('[SBOM-1] turns SRI integrity into hex CycloneDX hashes and drops what it cannot read', () => {
    const sha512 = Buffer.alloc(64, 1).toString('base64');
    expect(sriToHashes(`sha512-${sha512} sha1-${Buffer.alloc(20, 2).toString('base64')}`)).toEqual([
      { alg: 'SHA-512', content: '01'.repeat(64) },
      { alg: 'SHA-1', content: '02'.repeat(20) },
    ]);
    expect(sriToHashes('md5-AAAA not-an-sri')).toEqual([]);
    expect(sriToHashes(undefined)).toEqual([]);
  });

  it('[SBOM-1] one application per server, its dependencies nested once per name@version, the graph and completeness', () => {
    const tree = {
      root: 'node_modules/srv',
      packages: new Map<string, InstalledPackage>([
        ['node_modules/srv', pkg('srv', '1.0.0', ['node_modules/a', 'node_modules/@s/b'])],
        [
          'node_modules/a',
          pkg(
            'a',
            '1.1.0',
            ['node_modules/a/node_modules/c'],
            `sha512-${Buffer.alloc(64, 3).toString('base64')}`,
          ),
        ],
        ['node_modules/a/node_modules/c', pkg('c', '2.0.0')],
        ['node_modules/@s/b', pkg('@s/b', '3.0.0', ['node_modules/c'])],
        ['node_modules/c', pkg('c', '2.0.0')], // the same version installed twice: one component
      ]),
      missing: [],
    };
    const servers: SbomServer[] = [
      {
        kind: 'npm',
        id: 'zeta',
        name: 'srv',
        version: '1.0.0',
        integrity: `sha512-${Buffer.alloc(64, 9).toString('base64')}`,
        launcher: 'node_modules',
        installPath: '/p/node_modules/srv',
        tree,
      },
      { kind: 'npm', id: 'alpha', name: 'other', version: '0.1.0', launcher: 'npx' },
    ];
    const bom = buildSbom({ ...base, servers });
    expect(bom).toMatchObject({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      version: 1,
      serialNumber: base.serialNumber,
    });
    expect(bom.metadata.tools.components).toEqual([
      { type: 'application', name: 'toolgate', version: '9.9.9' },
    ]);
    expect(bom.components.map((c) => [c.type, c['bom-ref']])).toEqual([
      ['application', 'server:alpha'],
      ['application', 'server:zeta'],
    ]);
    const zeta = bom.components[1];
    expect(zeta?.hashes).toEqual([{ alg: 'SHA-512', content: '09'.repeat(64) }]);
    expect(zeta?.properties).toContainEqual({ name: 'toolgate:server', value: 'zeta' });
    expect(zeta?.components?.map((c) => [c.type, c.purl])).toEqual([
      ['library', 'pkg:npm/%40s/b@3.0.0'],
      ['library', 'pkg:npm/a@1.1.0'],
      ['library', 'pkg:npm/c@2.0.0'],
    ]);
    expect(zeta?.components?.find((c) => c.name === 'a')?.hashes?.[0]?.content).toBe(
      '03'.repeat(64),
    );
    expect(bom.dependencies).toContainEqual({
      ref: 'server:zeta',
      dependsOn: ['zeta:pkg:npm/%40s/b@3.0.0', 'zeta:pkg:npm/a@1.1.0'],
    });
    expect(bom.dependencies).toContainEqual({
      ref: 'zeta:pkg:npm/a@1.1.0',
      dependsOn: ['zeta:pkg:npm/c@2.0.0'],
    });
    expect(bom.dependencies).toContainEqual({ ref: 'server:alpha', dependsOn: [] });
    expect(bom.compositions).toEqual([
      { aggregate: 'complete', assemblies: ['server:zeta'] },
      { aggregate: 'unknown', assemblies: ['server:alpha'] },
    ]);
    const refs = [...bom.components, ...bom.components.flatMap((c) => c.components ?? [])].map(
      (c) => c['bom-ref'],
    );
    expect(new Set(refs).size).toBe(refs.length);
  });

  it('[SBOM-1] the same package in two servers gets two bom-refs; a missing dependency marks the server incomplete', () => {
    const tree = (root: string) => ({
      root,
      packages: new Map<string, InstalledPackage>([
        [root, pkg(root, '1.0.0', ['node_modules/shared'])],
        ['node_modules/shared', pkg('shared', '1.0.0')],
      ]),
      missing: root === 'x' ? ['gone (required by x@1.0.0)'] : [],
    });
    const bom = buildSbom({
      ...base,
      servers: [
        { kind: 'npm', id: 'x', name: 'x', version: '1.0.0', launcher: 'npx', tree: tree('x') },
        { kind: 'npm', id: 'y', name: 'y', version: '1.0.0', launcher: 'npx', tree: tree('y') },
      ],
    });
    expect(bom.components.flatMap((c) => c.components ?? []).map((c) => c['bom-ref'])).toEqual([
      'x:pkg:npm/shared@1.0.0',
      'y:pkg:npm/shared@1.0.0',
    ]);
    expect(bom.compositions).toEqual([
      { aggregate: 'complete', assemblies: ['server:y'] },
      { aggregate: 'incomplete', assemblies: ['server:x'] },
    ]);
  });
});
