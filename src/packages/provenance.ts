import { createHash } from 'node:crypto';
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import {
  PolicyError,
  Verifier,
  toSignedEntity,
  toTrustMaterial,
  type VerificationPolicy,
} from '@sigstore/verify';
import { PackageError } from '../errors.js';
import type { RegistryAttestation } from './registry.js';

export interface ExpectedIdentity {
  readonly subjectAlternativeName: string;
  readonly issuer?: string | undefined;
}

export interface VerifiedProvenance {
  readonly predicateType: string;
  readonly subjectDigest: string;
  readonly subjectAlternativeName: string;
  readonly issuer?: string;
  readonly sourceRepository?: string;
  readonly workflow?: string;
}

const SLSA = /^https:\/\/slsa\.dev\/provenance\/v/;

/** The purl an npm attestation names its subject with (`pkg:npm/%40scope/name@1.0.0`). */
const purlOf = (name: string, version: string) => `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;

/** Hex sha512 of a tarball; it must also equal the registry's `sha512-…` integrity. */
export const tarballDigest = (tarball: Buffer, integrity: string): string => {
  const digest = createHash('sha512').update(tarball).digest();
  if (`sha512-${digest.toString('base64')}` !== integrity)
    throw new PackageError(
      'PACKAGE_PROVENANCE_INVALID',
      'the tarball does not match the registry integrity',
    );
  return digest.toString('hex');
};

/**
 * Verifies every npm attestation OFFLINE against the pinned trusted root with `@sigstore/verify`:
 * certificate chain to Fulcio, the signature, the Rekor transparency-log entry, the expected
 * identity, and that the signed in-toto subject is exactly this package version with this tarball's
 * sha512. Fails closed: any attestation that does not verify refuses the package.
 */
export const verifyProvenance = (input: {
  readonly attestations: readonly RegistryAttestation[];
  readonly name: string;
  readonly version: string;
  readonly tarballSha512: string;
  readonly trustedRoot: unknown;
  readonly identity?: ExpectedIdentity | undefined;
}): VerifiedProvenance => {
  let verifier: Verifier;
  try {
    verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(input.trustedRoot)));
  } catch (cause) {
    throw new PackageError(
      'PACKAGE_PROVENANCE_INVALID',
      `unusable trusted root: ${(cause as Error).message}`,
      { cause },
    );
  }
  const policy: VerificationPolicy | undefined = input.identity && {
    subjectAlternativeName: input.identity.subjectAlternativeName,
    ...(input.identity.issuer !== undefined && { extensions: { issuer: input.identity.issuer } }),
  };
  const verified = input.attestations.map((attestation) => {
    let bundle: Bundle;
    try {
      // untrusted: the bundle comes from the registry; the library parses and checks its shape.
      bundle = bundleFromJSON(attestation.bundle);
    } catch (cause) {
      throw new PackageError(
        'PACKAGE_PROVENANCE_INVALID',
        `malformed attestation bundle: ${(cause as Error).message}`,
        { cause },
      );
    }
    if (bundle.content.$case !== 'dsseEnvelope')
      throw new PackageError(
        'PACKAGE_PROVENANCE_INVALID',
        'an npm attestation must be a DSSE envelope',
      );
    let signer;
    try {
      signer = verifier.verify(toSignedEntity(bundle), policy);
    } catch (cause) {
      if (cause instanceof PolicyError)
        throw new PackageError(
          'PACKAGE_IDENTITY_MISMATCH',
          `${input.name}@${input.version}: attestation signer is not the expected identity (${cause.message})`,
          { cause },
        );
      throw new PackageError(
        'PACKAGE_PROVENANCE_INVALID',
        `${input.name}@${input.version}: attestation does not verify (${(cause as Error).message})`,
        { cause },
      );
    }
    const statement = parseStatement(bundle.content.dsseEnvelope.payload);
    const subject = statement.subject.find((s) => s.name === purlOf(input.name, input.version));
    if (!subject || subject.digest['sha512'] !== input.tarballSha512)
      throw new PackageError(
        'PACKAGE_PROVENANCE_INVALID',
        `${input.name}@${input.version}: the attested subject is not this tarball`,
      );
    const san = signer.identity?.subjectAlternativeName;
    if (san === undefined)
      throw new PackageError('PACKAGE_PROVENANCE_INVALID', 'attestation signer has no identity');
    const issuer = signer.identity?.extensions?.issuer;
    return {
      predicateType: statement.predicateType,
      subjectDigest: input.tarballSha512,
      subjectAlternativeName: san,
      ...(issuer !== undefined && { issuer }),
      ...buildSource(statement),
    } satisfies VerifiedProvenance;
  });
  const best = verified.find((v) => SLSA.test(v.predicateType)) ?? verified[0];
  if (!best) throw new PackageError('PACKAGE_PROVENANCE_INVALID', 'no attestations');
  return best;
};

interface Statement {
  subject: { name: string; digest: Record<string, string> }[];
  predicateType: string;
  predicate: unknown;
}

const parseStatement = (payload: Buffer): Statement => {
  try {
    const doc = JSON.parse(payload.toString('utf8')) as Partial<Statement>;
    if (!Array.isArray(doc.subject) || typeof doc.predicateType !== 'string')
      throw new Error('not an in-toto statement');
    return doc as Statement;
  } catch (cause) {
    throw new PackageError(
      'PACKAGE_PROVENANCE_INVALID',
      `attestation payload: ${(cause as Error).message}`,
      { cause },
    );
  }
};

/** Source repository and workflow from SLSA provenance v1 or v0.2, when the statement carries them. */
const buildSource = (statement: Statement): { sourceRepository?: string; workflow?: string } => {
  // untrusted: the predicate is signed, but its shape is whatever the builder wrote.
  const at = (value: unknown, ...path: string[]): unknown =>
    path.reduce<unknown>(
      (v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined),
      value,
    );
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const v1 = at(statement.predicate, 'buildDefinition', 'externalParameters', 'workflow');
  const v02 = at(statement.predicate, 'invocation', 'configSource');
  const repository = text(at(v1, 'repository')) ?? text(at(v02, 'uri'));
  const workflow = text(at(v1, 'path')) ?? text(at(v02, 'entryPoint'));
  return {
    ...(repository !== undefined && { sourceRepository: repository }),
    ...(workflow !== undefined && { workflow }),
  };
};
