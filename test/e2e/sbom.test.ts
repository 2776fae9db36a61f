import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycloneDxSchema } from '../fixtures/schemas/validate.js';
import { fixture, runToolgate, tempDir } from './harness.js';
import { serveBulk } from '../fixtures/npm-bulk/serve.js';

const OSV = join(import.meta.dirname, '../fixtures/osv');

const toolgate = (args: string[]) => runToolgate(args);

const sri = (byte: number) => `sha512-${Buffer.alloc(64, byte).toString('base64')}`;

const write = (path: string, text: string) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
};

/**
 * A project whose node_modules holds an installed "echo-mcp" (its entry starts the echo fixture) with
 * a small dependency tree: a hoisted dependency, a nested copy of another version, a scoped package
 * whose integrity only its package.json records, and an unrelated package the server never reaches.
 */
const installedServer = () => {
  const dir = tempDir();
  const nm = join(dir, 'node_modules');
  const manifest = (path: string, body: Record<string, unknown>) =>
    write(join(nm, path, 'package.json'), JSON.stringify(body));
  manifest('echo-mcp', {
    name: 'echo-mcp',
    version: '1.2.3',
    type: 'module',
    dependencies: { 'dep-a': '^1.0.0', '@scope/dep-b': '2.0.0' },
    optionalDependencies: { 'not-there': '1' },
  });
  write(join(nm, 'echo-mcp/index.js'), `import ${JSON.stringify(fixture('echo-server'))};\n`);
  manifest('dep-a', { name: 'dep-a', version: '1.4.0', dependencies: { 'dep-c': '^2.0.0' } });
  manifest('dep-a/node_modules/dep-c', { name: 'dep-c', version: '2.1.0' });
  manifest('dep-c', { name: 'dep-c', version: '1.0.0' }); // hoisted other version, not what dep-a resolves
  manifest('@scope/dep-b', { name: '@scope/dep-b', version: '2.0.0', _integrity: sri(2) });
  manifest('unrelated', { name: 'unrelated', version: '9.9.9' });
  write(
    join(nm, '.package-lock.json'),
    JSON.stringify({
      packages: {
        'node_modules/echo-mcp': { version: '1.2.3', integrity: sri(1) },
        'node_modules/dep-a': { version: '1.4.0', integrity: sri(3) },
        'node_modules/dep-a/node_modules/dep-c': { version: '2.1.0', integrity: sri(4) },
      },
    }),
  );
  const config = join(dir, 'toolgate.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      servers: {
        echo: {
          command: process.execPath,
          args: [join(nm, 'echo-mcp/index.js')],
          tools: ['*'],
          sandbox: false,
          pin: { provenance: 'off' },
        },
      },
    }),
  );
  return { dir, nm, config };
};

interface Component {
  type: string;
  'bom-ref': string;
  name: string;
  version: string;
  purl: string;
  hashes?: { alg: string; content: string }[];
  components?: Component[];
}
interface Bom {
  serialNumber: string;
  metadata: { tools: { components: { name: string }[] } };
  components: Component[];
  dependencies: { ref: string; dependsOn: string[] }[];
  compositions: { aggregate: string; assemblies: string[] }[];
}

describe('toolgate sbom (the built CLI)', () => {
  it('[SBOM-1] writes a CycloneDX 1.6 SBOM of a locked node_modules server and the dependencies it reaches', async () => {
    const { dir, config } = installedServer();
    const locked = await toolgate(['lock', '--config', config]);
    expect(locked.code, locked.stderr).toBe(0);
    const out = join(dir, 'sbom.json');
    const r = await toolgate(['sbom', '--config', config, '--output', out]);
    expect(r.code, r.stderr).toBe(0);
    const bom = JSON.parse(readFileSync(out, 'utf8')) as Bom;
    expect(cycloneDxSchema()(bom), 'the published CycloneDX 1.6 schema').toEqual([]);
    expect(bom.metadata.tools.components[0]?.name).toBe('toolgate');
    const [server] = bom.components;
    expect(server).toMatchObject({
      type: 'application',
      name: 'echo-mcp',
      version: '1.2.3',
      purl: 'pkg:npm/echo-mcp@1.2.3',
      hashes: [{ alg: 'SHA-512', content: '01'.repeat(64) }],
    });
    const libs = Object.fromEntries(
      (server?.components ?? []).map((c) => [c.purl, c.hashes?.[0]?.content]),
    );
    expect(libs).toEqual({
      'pkg:npm/%40scope/dep-b@2.0.0': '02'.repeat(64),
      'pkg:npm/dep-a@1.4.0': '03'.repeat(64),
      'pkg:npm/dep-c@2.1.0': '04'.repeat(64),
    });
    expect(bom.dependencies).toContainEqual({
      ref: 'server:echo',
      dependsOn: ['echo:pkg:npm/%40scope/dep-b@2.0.0', 'echo:pkg:npm/dep-a@1.4.0'],
    });
    expect(bom.dependencies).toContainEqual({
      ref: 'echo:pkg:npm/dep-a@1.4.0',
      dependsOn: ['echo:pkg:npm/dep-c@2.1.0'],
    });
    expect(bom.compositions).toEqual([{ aggregate: 'complete', assemblies: ['server:echo'] }]);

    const stdout = await toolgate(['sbom', '--config', config, 'echo']);
    expect(stdout.code, stdout.stderr).toBe(0);
    expect((JSON.parse(stdout.stdout) as Bom).serialNumber).not.toBe(bom.serialNumber);
    const unknown = await toolgate(['sbom', '--config', config, 'nobody']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('SBOM_UNKNOWN_SERVER');
  }, 120_000);

  it('[SBOM-2] refuses to describe an installed copy that no longer matches the lock', async () => {
    const { nm, config } = installedServer();
    expect((await toolgate(['lock', '--config', config])).code).toBe(0);
    appendFileSync(join(nm, 'echo-mcp/index.js'), '// changed after lock\n');
    const r = await toolgate(['sbom', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SBOM_TREE_CHANGED');
    expect(r.stdout).toBe('');
  }, 120_000);

  it('[SBOM-1] needs a lock', async () => {
    const { config } = installedServer();
    const r = await toolgate(['sbom', '--config', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SBOM_NO_LOCK');
  });
});

describe('toolgate deps --osv (the built CLI)', () => {
  it('[SBOM-3] [SBOM-4] flags the known-vulnerable versions the server reaches, per server with severity, and exits 1 on high', async () => {
    const { dir, config } = installedServer();
    expect((await toolgate(['lock', '--config', config])).code).toBe(0);
    const r = await toolgate(['deps', '--config', config, '--osv', OSV]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      /^HIGH +echo +dep-a@1\.4\.0 +GHSA-aaaa-bbbb-cccc .*\(fixed in 1\.4\.1\)$/m,
    );
    expect(r.stdout).toMatch(/^MEDIUM +echo +@scope\/dep-b@2\.0\.0 +GHSA-dddd-dep-b/m);
    expect(r.stdout).not.toContain('GHSA-eeee-dep-c'); // dep-c 1.0.0 is installed, but the server resolves dep-c 2.1.0

    const json = await toolgate([
      'deps',
      '--config',
      config,
      '--osv',
      join(OSV, 'GHSA-aaaa-dep-a.json'),
      '--format',
      'json',
    ]);
    expect(json.code).toBe(1);
    expect(
      (
        JSON.parse(json.stdout) as {
          findings: { server: string; package: string; severity: string }[];
        }
      ).findings,
    ).toEqual([
      expect.objectContaining({
        server: 'echo',
        package: 'dep-a',
        version: '1.4.0',
        severity: 'high',
        aliases: ['CVE-2026-00001'],
      }),
    ]);

    const moderate = await toolgate(['deps', '--config', config, '--osv', join(OSV, 'more.json')]);
    expect(moderate.code, moderate.stdout).toBe(0);
    expect(
      (
        await toolgate([
          'deps',
          '--config',
          config,
          '--osv',
          join(OSV, 'more.json'),
          '--fail-on',
          'medium',
        ])
      ).code,
    ).toBe(1);

    const bad = join(dir, 'bad-osv.json');
    writeFileSync(bad, JSON.stringify({ id: 'X', affected: [{ package: { ecosystem: 'npm' } }] }));
    const refused = await toolgate(['deps', '--config', config, '--osv', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('SBOM_OSV_INVALID');
  }, 180_000);

  it('[SBOM-5] asks the registry npm is configured with when no --osv is given, and refuses an unreachable one', async () => {
    const { config } = installedServer();
    expect((await toolgate(['lock', '--config', config])).code).toBe(0);
    // A loopback stand-in for the registry: the mirror reachable here has no advisory data.
    const registry = await serveBulk();
    try {
      const asked = await runToolgate(['deps', '--config', config], {
        env: { npm_config_registry: registry.url },
      });
      expect(asked.code, asked.stderr).toBe(1);
      expect(asked.stdout).toMatch(/^HIGH +echo +dep-a@1\.4\.0 +GHSA-aaaa-bbbb-cccc /m);
      expect(asked.stdout).toContain(`the advisories of ${registry.url} (npm's settings)`);
      expect(registry.requests).toHaveLength(1);
    } finally {
      await registry.close();
    }
    const offline = await runToolgate(['deps', '--config', config], {
      env: { npm_config_registry: registry.url },
    });
    expect(offline.code).toBe(2);
    expect(offline.stderr).toContain('SBOM_REGISTRY_UNREACHABLE');
  }, 180_000);
});
