import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyImageSignature } from './image.js';

/**
 * Container images: a cosign-style Sigstore bundle (DSSE, in-toto statement naming the image digest)
 * signed with a key this test creates, verified offline with the configured public key.
 */
const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const pae = (type: string, body: Buffer) =>
  Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);

const signedBundle = (privateKey: KeyObject, digestHex: string) => {
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'ghcr.io/example/mcp-server', digest: { sha256: digestHex } }],
      predicateType: 'https://cosign.sigstore.dev/attestation/v1',
      predicate: {},
    }),
  );
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: 'configured-key' }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } },
    dsseEnvelope: {
      payload: statement.toString('base64'),
      payloadType: PAYLOAD_TYPE,
      signatures: [{ sig: sign('sha256', pae(PAYLOAD_TYPE, statement), privateKey).toString('base64'), keyid: '' }],
    },
  };
};

const keys = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();

describe('when an image is pinned by digest with a cosign bundle', () => {
  const digest = randomBytes(32).toString('hex');
  const ref = `ghcr.io/example/mcp-server@sha256:${digest}`;

  it('[PKG-6] verifies the signature with the configured key and records digest and key', () => {
    const { publicKey, privateKey } = keys();
    const result = verifyImageSignature({ ref, publicKeyPem: pem(publicKey), bundle: signedBundle(privateKey, digest) });
    expect(result.digest).toBe(`sha256:${digest}`);
    expect(result.publicKeySha256).toBe(createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex'));
  });

  it('[PKG-6] refuses another key, a flipped byte, and a signature over another digest', () => {
    const { publicKey, privateKey } = keys();
    const other = keys();
    expect(() => verifyImageSignature({ ref, publicKeyPem: pem(other.publicKey), bundle: signedBundle(privateKey, digest) })).toThrow(
      expect.objectContaining({ code: 'PACKAGE_SIGNATURE_INVALID' }),
    );
    const flipped = signedBundle(privateKey, digest);
    const payload = Buffer.from(flipped.dsseEnvelope.payload, 'base64');
    payload.writeUInt8(payload.readUInt8(40) ^ 1, 40);
    flipped.dsseEnvelope.payload = payload.toString('base64');
    expect(() => verifyImageSignature({ ref, publicKeyPem: pem(publicKey), bundle: flipped })).toThrow(expect.objectContaining({ code: 'PACKAGE_SIGNATURE_INVALID' }));
    const elsewhere = signedBundle(privateKey, randomBytes(32).toString('hex'));
    expect(() => verifyImageSignature({ ref, publicKeyPem: pem(publicKey), bundle: elsewhere })).toThrow(
      expect.objectContaining({ code: 'PACKAGE_SIGNATURE_INVALID', message: expect.stringContaining('another image') }),
    );
  });
});
