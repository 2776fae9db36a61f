import { createHash, createPublicKey } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { PackageError } from '../errors.js';

/** An empty trusted root: only the configured key is trusted (cosign `--key`). */
const KEY_ONLY_ROOT = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};

/**
 * Verifies a cosign signature bundle of a container image with a configured public key, offline,
 * as `cosign verify --key KEY --bundle BUNDLE --insecure-ignore-tlog` would: the DSSE signature
 * must verify with the key, and the signed in-toto statement's subject must carry the image's
 * pinned sha256 digest. Returns the SHA-256 of the key (DER), recorded in the lock.
 */
export const verifyImageSignature = (input: {
  readonly ref: string;
  readonly publicKeyPem: string;
  readonly bundle: unknown;
}): { digest: string; publicKeySha256: string } => {
  const digest = input.ref.slice(input.ref.lastIndexOf('@') + 1);
  let key;
  try {
    key = createPublicKey(input.publicKeyPem);
  } catch (cause) {
    throw new PackageError(
      'PACKAGE_SIGNATURE_INVALID',
      `unusable public key: ${(cause as Error).message}`,
      { cause },
    );
  }
  const trust = toTrustMaterial(TrustedRoot.fromJSON(KEY_ONLY_ROOT), () => ({
    publicKey: key,
    validFor: () => true,
  }));
  try {
    const bundle = bundleFromJSON(input.bundle);
    if (bundle.content.$case !== 'dsseEnvelope') throw new Error('expected a DSSE envelope');
    new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(
      toSignedEntity(bundle),
    );
    const statement = JSON.parse(bundle.content.dsseEnvelope.payload.toString('utf8')) as {
      subject?: { digest?: Record<string, string> }[];
    };
    const names = (statement.subject ?? []).map((s) => `sha256:${s.digest?.['sha256'] ?? ''}`);
    if (!names.includes(digest))
      throw new Error(`the signature names another image than ${digest}`);
  } catch (cause) {
    throw new PackageError(
      'PACKAGE_SIGNATURE_INVALID',
      `image ${input.ref}: ${(cause as Error).message}`,
      { cause },
    );
  }
  return {
    digest,
    publicKeySha256: createHash('sha256')
      .update(key.export({ type: 'spki', format: 'der' }))
      .digest('hex'),
  };
};
