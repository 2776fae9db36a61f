import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { ContainerServerConfig } from '../config/schema.js';
import { containerArgs } from '../sandbox/container.js';
import { imageToRun } from './identify.js';
import { verifyImageSignature } from './image.js';
import { spawnedAs } from './managed.js';
import { signedBundle } from '../../test/fixtures/cosign-bundle.js';

const keys = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();

describe('when an image is pinned by digest with a cosign bundle', () => {
  const digest = randomBytes(32).toString('hex');
  const ref = `ghcr.io/example/mcp-server@sha256:${digest}`;

  it('[PKG-6] verifies the signature with the configured key and records digest and key', () => {
    const { publicKey, privateKey } = keys();
    const result = verifyImageSignature({
      ref,
      publicKeyPem: pem(publicKey),
      bundle: signedBundle(privateKey, digest),
    });
    expect(result.digest).toBe(`sha256:${digest}`);
    expect(result.publicKeySha256).toBe(
      createHash('sha256')
        .update(publicKey.export({ type: 'spki', format: 'der' }))
        .digest('hex'),
    );
  });

  it('[PKG-6] refuses another key, a flipped byte, and a signature over another digest', () => {
    const { publicKey, privateKey } = keys();
    const other = keys();
    expect(() =>
      verifyImageSignature({
        ref,
        publicKeyPem: pem(other.publicKey),
        bundle: signedBundle(privateKey, digest),
      }),
    ).toThrow(expect.objectContaining({ code: 'PACKAGE_SIGNATURE_INVALID' }));
    const flipped = signedBundle(privateKey, digest);
    const payload = Buffer.from(flipped.dsseEnvelope.payload, 'base64');
    payload.writeUInt8(payload.readUInt8(40) ^ 1, 40);
    flipped.dsseEnvelope.payload = payload.toString('base64');
    expect(() =>
      verifyImageSignature({ ref, publicKeyPem: pem(publicKey), bundle: flipped }),
    ).toThrow(expect.objectContaining({ code: 'PACKAGE_SIGNATURE_INVALID' }));
    const elsewhere = signedBundle(privateKey, randomBytes(32).toString('hex'));
    expect(() =>
      verifyImageSignature({ ref, publicKeyPem: pem(publicKey), bundle: elsewhere }),
    ).toThrow(
      expect.objectContaining({
        code: 'PACKAGE_SIGNATURE_INVALID',
        message: expect.stringContaining('another image'),
      }),
    );
  });
});

describe('when a container server runs under a lock', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;
  const locked = {
    kind: 'image' as const,
    ref: `ghcr.io/example/mcp-server@${digest}`,
    digest,
    publicKeySha256: 'cd'.repeat(32),
  };
  const server = (image: string) =>
    parseConfig({
      servers: {
        c: {
          image,
          tools: ['*'],
          pin: { image: { ref: locked.ref, publicKey: 'k.pem', signature: 'b.json' } },
        },
      },
    }).servers['c'] as ContainerServerConfig;

  it('[PKG-10] starts the image by the locked digest, never by its tag', () => {
    expect(imageToRun('ghcr.io/example/mcp-server:1.0', locked)).toEqual({
      ok: true,
      image: locked.ref,
    });
    expect(imageToRun('ghcr.io/example/mcp-server', locked)).toEqual({
      ok: true,
      image: locked.ref,
    });
    const spawned = spawnedAs(
      's',
      server('ghcr.io/example/mcp-server:1.0'),
      locked,
      '/',
    ) as ContainerServerConfig;
    const argv = containerArgs(spawned, []);
    expect(argv.slice(argv.indexOf('--') + 1)).toEqual([locked.ref]);
    expect(argv.join(' ')).not.toContain(':1.0');
  });

  it('[PKG-10] refuses another repository or another digest than the lock records', () => {
    expect(imageToRun('ghcr.io/evil/mcp-server:1.0', locked)).toMatchObject({
      ok: false,
      message: expect.stringContaining('not the locked repository'),
    });
    expect(
      imageToRun(`ghcr.io/example/mcp-server@sha256:${'ef'.repeat(32)}`, locked),
    ).toMatchObject({ ok: false, message: expect.stringContaining('another digest') });
    // A refused image is left as configured, so the before-spawn check refuses that server.
    expect(
      (spawnedAs('s', server('ghcr.io/evil/mcp-server:1.0'), locked, '/') as ContainerServerConfig)
        .image,
    ).toBe('ghcr.io/evil/mcp-server:1.0');
  });
});
