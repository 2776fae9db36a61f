import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config/schema.js';
import { parseConfig } from '../../src/config/load.js';
import { lockPackage } from '../../src/packages/lock-package.js';
import { BIN, ROOT, tempDir } from './harness.js';

/**
 * Provenance end to end on real data: the real public-good Sigstore bundles attesting the real
 * sigstore@1.0.0 tarball (../shared/datasets/sigstore-bundles, read in place), served by a fake npm
 * registry on loopback, verified offline against the pinned trusted root.
 */
const DATASET = join(ROOT, '../shared/datasets/sigstore-bundles');
const TRUSTED_ROOT = join(DATASET, 'trusted_root.json');
const INTEGRITY =
  'sha512-e+qfbn/zf1+rCza/BhIA//Awmf0v1pa5HQS8Xk8iXrn9bgytytVLqYD0P7NSqZ6IELTgq+tcDvLPkQjNHyWLNg==';
const PUBLISH = 'https://github.com/npm/attestation/tree/main/specs/publish/v0.1';

/** The real tarball, fetched once with npm into the gitignored .toolchains/. */
const tarballPath = (): string => {
  const dir = join(ROOT, '.toolchains/npm-pack');
  const file = join(dir, 'sigstore-1.0.0.tgz');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('npm', ['pack', 'sigstore@1.0.0', '--pack-destination', dir, '--silent'], {
      stdio: 'ignore',
      timeout: 120_000,
    });
  }
  return file;
};

/** Flips the lowest bit of one byte. */
const flip = (buf: Buffer, at: number) => buf.writeUInt8(buf.readUInt8(at) ^ 0x01, at);

const bundle = (name: string) =>
  JSON.parse(readFileSync(join(DATASET, `${name}.sigstore`), 'utf8')) as Record<string, unknown>;

/** What the fake registry serves; tests swap parts of it. */
const served = {
  tarball: Buffer.alloc(0),
  integrity: INTEGRITY,
  attestations: [] as unknown[] | undefined,
};

let registry: Server;
let url: string;
beforeAll(async () => {
  served.tarball = readFileSync(tarballPath());
  registry = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(Buffer.isBuffer(body) ? body : JSON.stringify(body));
    };
    if (req.url === '/sigstore')
      return send(200, {
        name: 'sigstore',
        'dist-tags': { latest: '1.0.0' },
        versions: {
          '1.0.0': {
            name: 'sigstore',
            version: '1.0.0',
            dist: { integrity: served.integrity, tarball: `${url}/sigstore/-/sigstore-1.0.0.tgz` },
          },
        },
      });
    if (req.url === '/sigstore/-/sigstore-1.0.0.tgz') return send(200, served.tarball);
    if (req.url === '/-/npm/v1/attestations/sigstore@1.0.0')
      return served.attestations
        ? send(200, { attestations: served.attestations })
        : send(404, { error: 'not found' });
    return send(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
  const address = registry.address() as { port: number };
  url = `http://127.0.0.1:${address.port}`;
});
afterAll(() => new Promise<void>((resolve) => registry.close(() => resolve())));

const realAttestations = () => [
  { predicateType: PUBLISH, bundle: bundle('bundleV03-dsse') },
  { predicateType: PUBLISH, bundle: bundle('bundleV02-intoto') },
];

const reset = () => {
  served.tarball = readFileSync(tarballPath());
  served.integrity = INTEGRITY;
  served.attestations = realAttestations();
};

const npxServer = (
  spec: string,
  pin: Record<string, unknown> = { provenance: 'required' },
): ServerConfig =>
  parseConfig({ servers: { s: { command: 'npx', args: ['-y', spec], pin } } }).servers[
    's'
  ] as ServerConfig;

const options = (allowUnpinned = false) => ({
  configDir: ROOT,
  cwd: ROOT,
  npm: { registry: url },
  trustedRoot: JSON.parse(readFileSync(TRUSTED_ROOT, 'utf8')) as unknown,
  allowUnpinned,
});

const cli = (config: Record<string, unknown>, extra: string[] = []) => {
  const dir = tempDir();
  const file = join(dir, 'toolgate.yaml');
  writeFileSync(
    file,
    JSON.stringify({ lock: { registry: url, trustedRoot: TRUSTED_ROOT }, ...config }),
  );
  return new Promise<{ code: number; stderr: string; dir: string }>((resolve) =>
    execFile(
      process.execPath,
      [BIN, 'lock', '--config', file, ...extra],
      { timeout: 120_000 },
      (error, _stdout, stderr) => resolve({ code: error ? 1 : 0, stderr, dir }),
    ),
  );
};

describe('npm provenance, verified offline against the pinned trusted root', () => {
  it('[PKG-2] verifies the real attestations of sigstore@1.0.0 and records the provenance', async () => {
    reset();
    const pkg = await lockPackage('s', npxServer('sigstore@1.0.0'), options());
    expect(pkg).toMatchObject({
      kind: 'npm',
      name: 'sigstore',
      version: '1.0.0',
      launcher: 'store',
      integrity: INTEGRITY,
      provenance: {
        predicateType: PUBLISH,
        subjectAlternativeName: 'brian@dehamer.com',
        issuer: 'https://github.com/login/oauth',
        subjectDigest: Buffer.from(INTEGRITY.slice(7), 'base64').toString('hex'),
      },
    });
  });

  it('[PKG-3] refuses a bundle with one flipped byte', async () => {
    reset();
    const tampered = bundle('bundleV03-dsse') as { dsseEnvelope: { payload: string } };
    const payload = Buffer.from(tampered.dsseEnvelope.payload, 'base64');
    flip(payload, payload.length - 10);
    tampered.dsseEnvelope.payload = payload.toString('base64');
    served.attestations = [{ predicateType: PUBLISH, bundle: tampered }];
    await expect(lockPackage('s', npxServer('sigstore@1.0.0'), options())).rejects.toMatchObject({
      code: 'PACKAGE_PROVENANCE_INVALID',
    });
    const sig = bundle('bundleV02-intoto') as { dsseEnvelope: { signatures: { sig: string }[] } };
    const raw = Buffer.from(sig.dsseEnvelope.signatures[0]?.sig ?? '', 'base64');
    flip(raw, 20);
    (sig.dsseEnvelope.signatures[0] as { sig: string }).sig = raw.toString('base64');
    served.attestations = [...realAttestations(), { predicateType: PUBLISH, bundle: sig }];
    await expect(lockPackage('s', npxServer('sigstore@1.0.0'), options())).rejects.toMatchObject({
      code: 'PACKAGE_PROVENANCE_INVALID',
    });
  });

  it('[PKG-3] refuses a tarball with one flipped byte, whether or not the registry integrity follows it', async () => {
    reset();
    const flipped = Buffer.from(served.tarball);
    flip(flipped, 1000);
    served.tarball = flipped;
    await expect(lockPackage('s', npxServer('sigstore@1.0.0'), options())).rejects.toMatchObject({
      code: 'PACKAGE_PROVENANCE_INVALID',
    });
    // A registry that lies consistently (integrity of the flipped tarball): the signed subject still differs.
    const { createHash } = await import('node:crypto');
    served.integrity = `sha512-${createHash('sha512').update(flipped).digest('base64')}`;
    await expect(lockPackage('s', npxServer('sigstore@1.0.0'), options())).rejects.toMatchObject({
      code: 'PACKAGE_PROVENANCE_INVALID',
      message: expect.stringContaining('not this tarball'),
    });
  });

  it('[PKG-4] refuses a valid attestation from another identity than the expected one', async () => {
    reset();
    const expectIdentity = (subjectAlternativeName: string, issuer?: string) =>
      npxServer('sigstore@1.0.0', {
        provenance: 'required',
        identity: { subjectAlternativeName, ...(issuer && { issuer }) },
      });
    await expect(
      lockPackage(
        's',
        expectIdentity(
          'https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main',
        ),
        options(),
      ),
    ).rejects.toMatchObject({
      code: 'PACKAGE_IDENTITY_MISMATCH',
    });
    await expect(
      lockPackage(
        's',
        expectIdentity('brian@dehamer.com', 'https://token.actions.githubusercontent.com'),
        options(),
      ),
    ).rejects.toMatchObject({
      code: 'PACKAGE_IDENTITY_MISMATCH',
    });
    await expect(
      lockPackage(
        's',
        expectIdentity('brian@dehamer.com', 'https://github.com/login/oauth'),
        options(),
      ),
    ).resolves.toMatchObject({ version: '1.0.0' });
  });

  it('[PKG-4] fails closed: required provenance absent, or attestations without a trusted root', async () => {
    reset();
    served.attestations = undefined;
    await expect(lockPackage('s', npxServer('sigstore@1.0.0'), options())).rejects.toMatchObject({
      code: 'PACKAGE_IDENTITY_MISMATCH',
    });
    await expect(
      lockPackage('s', npxServer('sigstore@1.0.0', { provenance: 'if-present' }), options()),
    ).resolves.toMatchObject({ provenance: 'absent' });
    served.attestations = realAttestations();
    await expect(
      lockPackage('s', npxServer('sigstore@1.0.0', { provenance: 'if-present' }), {
        ...options(),
        trustedRoot: undefined,
      }),
    ).rejects.toMatchObject({
      code: 'PACKAGE_PROVENANCE_INVALID',
    });
  });

  it('[PKG-1] refuses unpinned specs unless --allow-unpinned, which resolves them to one exact version', async () => {
    reset();
    for (const spec of ['sigstore', 'sigstore@latest', 'sigstore@^1.0.0'])
      await expect(lockPackage('s', npxServer(spec), options())).rejects.toMatchObject({
        code: 'LOCK_UNPINNED',
      });
    for (const spec of [
      'github:sigstore/sigstore-js',
      'git+https://github.com/sigstore/sigstore-js.git',
    ])
      await expect(lockPackage('s', npxServer(spec), options(true))).rejects.toMatchObject({
        code: 'LOCK_UNPINNED',
      });
    await expect(
      lockPackage('s', npxServer('sigstore@latest'), options(true)),
    ).resolves.toMatchObject({ version: '1.0.0', spec: 'sigstore@latest' });
  });

  it('[PKG-3] toolgate lock fails closed before spawning anything when the bundle is tampered', async () => {
    reset();
    const tampered = bundle('bundleV03-intoto') as { dsseEnvelope: { payload: string } };
    const payload = Buffer.from(tampered.dsseEnvelope.payload, 'base64');
    flip(payload, 50);
    tampered.dsseEnvelope.payload = payload.toString('base64');
    served.attestations = [{ predicateType: PUBLISH, bundle: tampered }];
    const result = await cli({
      servers: {
        s: { command: 'npx', args: ['-y', 'sigstore@1.0.0'], pin: { provenance: 'required' } },
      },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('PACKAGE_PROVENANCE_INVALID');
    expect(result.stderr).not.toContain('starting');
    expect(existsSync(join(result.dir, 'toolgate.lock'))).toBe(false);
    const unpinned = await cli({ servers: { s: { command: 'npx', args: ['-y', 'sigstore'] } } });
    expect(unpinned.code).toBe(1);
    expect(unpinned.stderr).toContain('LOCK_UNPINNED');
  });
});
