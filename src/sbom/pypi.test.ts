import { describe, expect, it } from 'vitest';
import { buildSbom, type PypiSbomServer } from './build.js';
import { pypiPurl, toPypiWheels } from './pypi.js';

const base = {
  serialNumber: 'urn:uuid:00000000-0000-4000-8000-000000000000',
  timestamp: '2026-12-07T00:00:00.000Z',
  toolVersion: '9.9.9',
};
const hex = (byte: number) => byte.toString(16).padStart(2, '0').repeat(32);

const server = (distributions: Record<string, string>): PypiSbomServer => ({
  kind: 'pypi',
  id: 'py',
  name: 'My_Server',
  version: '1.0.0',
  python: '/usr/bin/python3',
  installPath: '/store/pypi+My_Server@1.0.0-x-y',
  ...toPypiWheels(distributions),
});

describe('sbom builder, Python servers', () => {
  it('[SBOM-6] writes pypi purls with the PEP 503 name and a percent-encoded version', () => {
    expect(pypiPurl('Zope.Interface', '6.0')).toBe('pkg:pypi/zope-interface@6.0');
    expect(pypiPurl('typing_extensions', '4.12.2')).toBe('pkg:pypi/typing-extensions@4.12.2');
    expect(pypiPurl('torch', '2.3.0+cpu')).toBe('pkg:pypi/torch@2.3.0%2Bcpu');
  });

  it('[SBOM-6] the own wheel is the application, every other wheel a library it depends on, complete', () => {
    const bom = buildSbom({
      ...base,
      servers: [
        server({
          'my_server-1.0.0-py3-none-any.whl': hex(1),
          'zope.interface-6.0-1-cp311-cp311-manylinux_2_17_x86_64.whl': hex(2),
          'typing_extensions-4.12.2-py3-none-any.whl': hex(3),
        }),
      ],
    });
    const [app] = bom.components;
    expect(app).toMatchObject({
      type: 'application',
      'bom-ref': 'server:py',
      name: 'My_Server',
      version: '1.0.0',
      purl: 'pkg:pypi/my-server@1.0.0',
      hashes: [{ alg: 'SHA-256', content: hex(1) }],
    });
    expect(app?.properties).toEqual([
      { name: 'toolgate:server', value: 'py' },
      { name: 'toolgate:launcher', value: 'store' },
      { name: 'toolgate:installPath', value: '/store/pypi+My_Server@1.0.0-x-y' },
      { name: 'toolgate:python', value: '/usr/bin/python3' },
      { name: 'toolgate:wheel', value: 'my_server-1.0.0-py3-none-any.whl' },
    ]);
    expect(app?.components).toEqual([
      {
        type: 'library',
        'bom-ref': 'py:pkg:pypi/typing-extensions@4.12.2',
        name: 'typing-extensions',
        version: '4.12.2',
        purl: 'pkg:pypi/typing-extensions@4.12.2',
        hashes: [{ alg: 'SHA-256', content: hex(3) }],
        properties: [
          { name: 'toolgate:wheel', value: 'typing_extensions-4.12.2-py3-none-any.whl' },
        ],
      },
      expect.objectContaining({
        'bom-ref': 'py:pkg:pypi/zope-interface@6.0',
        hashes: [{ alg: 'SHA-256', content: hex(2) }],
      }),
    ]);
    expect(bom.dependencies).toEqual([
      {
        ref: 'server:py',
        dependsOn: ['py:pkg:pypi/typing-extensions@4.12.2', 'py:pkg:pypi/zope-interface@6.0'],
      },
      { ref: 'py:pkg:pypi/typing-extensions@4.12.2', dependsOn: [] },
      { ref: 'py:pkg:pypi/zope-interface@6.0', dependsOn: [] },
    ]);
    expect(bom.compositions).toEqual([{ aggregate: 'complete', assemblies: ['server:py'] }]);
  });

  it('[SBOM-6] a distribution whose file name is not a wheel name is left out and marks the list incomplete', () => {
    const bom = buildSbom({
      ...base,
      servers: [server({ 'my_server-1.0.0-py3-none-any.whl': hex(1), 'odd-1.0.tar.gz': hex(4) })],
    });
    expect(bom.components[0]?.components).toBeUndefined();
    expect(bom.compositions).toEqual([{ aggregate: 'incomplete', assemblies: ['server:py'] }]);
  });
});
