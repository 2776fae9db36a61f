import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signedBundle } from '../fixtures/cosign-bundle.js';
import { eventually, startStdioGateway, type Running } from './harness.js';
import { imageRig, tampered, toolgate } from './package-rigs.js';

let gw: Running | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('a container server (image:): started by the locked digest, its signature verified before every spawn', () => {
  it('[PKG-10] lock and run start the image by its digest, not its tag; a swapped signature or another digest is refused before the engine runs', async () => {
    const rig = imageRig();
    const locked = await toolgate(['lock', '--config', rig.config], undefined, rig.env);
    expect(locked.code, locked.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(rig.dir, 'toolgate.lock'), 'utf8'))).toMatchObject({
      servers: {
        img: { package: { kind: 'image', ref: rig.ref, digest: `sha256:${rig.digest}` } },
      },
    });
    const image = (argv: string[]) => argv.slice(argv.indexOf('--') + 1)[0];
    expect(rig.runs().map(image)).toEqual([rig.ref]);

    gw = await startStdioGateway({}, { lock: { dir: rig.dir }, env: rig.env });
    expect((await gw.client.listTools()).tools.map((t) => t.name)).toContain('img__echo');
    expect(rig.runs().map(image)).toEqual([rig.ref, rig.ref]);
    expect(rig.runs().flat().join(' ')).not.toContain(':1.0');
    await gw.close();

    // The bundle replaced by one signed with another key: refused, the engine never runs.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const bundle = readFileSync(join(rig.dir, 'image.sigstore.json'));
    writeFileSync(
      join(rig.dir, 'image.sigstore.json'),
      JSON.stringify(signedBundle(other.privateKey, rig.digest)),
    );
    gw = await startStdioGateway({}, { lock: { dir: rig.dir }, env: rig.env });
    await eventually(() =>
      (gw as Running).stderr.some((l) => l.includes('PACKAGE_SIGNATURE_INVALID')),
    );
    expect((await gw.client.listTools()).tools).toEqual([]);
    await expect(
      gw.client.callTool({ name: 'img__echo', arguments: { text: 'x' } }),
    ).rejects.toMatchObject({ message: expect.stringContaining('PACKAGE_SIGNATURE_INVALID') });
    expect(rig.runs()).toHaveLength(2);
    await gw.close();
    writeFileSync(join(rig.dir, 'image.sigstore.json'), bundle);

    // The config now names another digest (validly signed with the same key): not what the lock pins.
    const moved = randomBytes(32).toString('hex');
    writeFileSync(
      join(rig.dir, 'image.sigstore.json'),
      JSON.stringify(signedBundle(rig.privateKey, moved)),
    );
    rig.write('ghcr.io/example/mcp-server:1.0', `ghcr.io/example/mcp-server@sha256:${moved}`);
    gw = await startStdioGateway({}, { lock: { dir: rig.dir }, env: rig.env });
    await eventually(() => tampered(gw as Running));
    expect((await gw.client.listTools()).tools).toEqual([]);
    await gw.close();

    // Another repository under the same name tag: refused as well.
    writeFileSync(join(rig.dir, 'image.sigstore.json'), bundle);
    rig.write('ghcr.io/evil/mcp-server:1.0');
    gw = await startStdioGateway({}, { lock: { dir: rig.dir }, env: rig.env });
    await eventually(() => tampered(gw as Running));
    expect(gw.stderr.join('\n')).toContain('the lock pins');
    expect(rig.runs()).toHaveLength(2);
  }, 120_000);

  it('[PKG-10] lock refuses an image server without pin.image, and a tag even with --allow-unpinned', async () => {
    const rig = imageRig();
    writeFileSync(
      rig.config,
      JSON.stringify({
        servers: { img: { image: 'ghcr.io/example/mcp-server:1.0', tools: ['*'] } },
      }),
    );
    const refused = await toolgate(
      ['lock', '--config', rig.config, '--allow-unpinned'],
      undefined,
      rig.env,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('LOCK_UNPINNED');
    expect(refused.stderr).toContain('name it by @sha256 digest');
    writeFileSync(
      rig.config,
      JSON.stringify({ servers: { img: { image: rig.ref, tools: ['*'] } } }),
    );
    expect((await toolgate(['lock', '--config', rig.config], undefined, rig.env)).stderr).toContain(
      'LOCK_UNPINNED',
    );
    const unsigned = await toolgate(
      ['lock', '--config', rig.config, '--allow-unpinned'],
      undefined,
      rig.env,
    );
    expect(unsigned.code, unsigned.stderr).toBe(0);
    expect(unsigned.stderr).toContain('UNSIGNED');
    expect(rig.runs()).toHaveLength(1);
  }, 120_000);
});
