import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isContainerServer, type ServerConfig } from '../config/schema.js';
import { LockError, PackageError } from '../errors.js';
import type { LockPackage } from '../pins/lock.js';
import {
  hashFile,
  hashTreeFiles,
  readInstalled,
  resolveBinary,
  sortedRecord,
  treeDigest,
} from './fingerprint.js';
import { identifyPackage, imageToRun, type PackageSource } from './identify.js';
import { verifyImageSignature } from './image.js';
import { lockPypi } from './pypi-lock.js';
import { decidePythonLaunch } from './python-launcher.js';
import { scriptGraph } from './script-graph.js';
import { verifyProvenance, tarballDigest, type VerifiedProvenance } from './provenance.js';
import type { NpmSettings } from './npmrc.js';
import { fetchAttestations, fetchTarball, resolveVersion } from './registry.js';

export interface LockPackageOptions {
  /** Directory of the config: relative paths in `pin` and `lock` are resolved against it. */
  readonly configDir: string;
  /** The gateway's working directory: relative server paths resolve against it, as the spawn does. */
  readonly cwd: string;
  /** npm's settings (`.npmrc`, `npm_config_*`, `lock.registry`): which registry serves each package. */
  readonly npm: NpmSettings;
  /** Parsed trusted_root.json, if configured. */
  readonly trustedRoot: unknown;
  readonly allowUnpinned: boolean;
  /** `lock.python` and `lock.pythonIndex`, for uvx/pipx servers. */
  readonly python?: string | undefined;
  readonly pythonIndex?: string | undefined;
}

const integrityHex = (integrity: string): string | undefined =>
  integrity.startsWith('sha512-')
    ? Buffer.from(integrity.slice(7), 'base64').toString('hex')
    : undefined;

/**
 * Pins what runs one server (the I/O half of `toolgate lock`): exact npm version, registry
 * integrity and verified provenance; SHA-256 of a script or binary; image digest and signature.
 */
export const lockPackage = async (
  id: string,
  server: ServerConfig,
  options: LockPackageOptions,
): Promise<LockPackage> => {
  const source = identifyPackage(server, options.cwd);
  switch (source.kind) {
    case 'remote':
      return { kind: 'remote', url: source.url };
    case 'image':
      return lockImage(id, server, source, options.configDir);
    case 'unsigned-image':
      return lockUnsignedImage(id, source.ref, options.allowUnpinned);
    case 'file':
      return lockFile(source);
    case 'node_modules':
      return lockNodeModules(id, server, source, options);
    case 'npx':
      return lockNpx(id, server, source, options);
    case 'pypi':
      return lockPypi(id, source, options).catch((error: unknown) => {
        // No usable Python, but the config grants the launcher its fetch: it runs unmanaged, as a pinned binary.
        const unmanaged =
          error instanceof PackageError && error.code === 'PACKAGE_UNMANAGED_LAUNCHER';
        if (!unmanaged || !decidePythonLaunch(id, server).ok) throw error;
        return lockFile({ kind: 'file', role: 'binary', path: source.launcher });
      });
  }
};

type Source<K extends PackageSource['kind']> = Extract<PackageSource, { kind: K }>;

const lockImage = async (
  id: string,
  server: ServerConfig,
  source: Source<'image'>,
  configDir: string,
): Promise<LockPackage> => {
  const { digest, publicKeySha256 } = await verifyConfiguredImage(source, configDir);
  if (isContainerServer(server)) {
    const run = imageToRun(server.image, { ref: source.ref, digest });
    if (!run.ok)
      throw new LockError('LOCK_UNPINNED', `server "${id}": ${run.message} (pin.image.ref)`);
  }
  return { kind: 'image', ref: source.ref, digest, publicKeySha256 };
};

const lockUnsignedImage = (id: string, ref: string, allowUnpinned: boolean): LockPackage => {
  const digest = /@(sha256:[0-9a-f]{64})$/.exec(ref)?.[1];
  if (!allowUnpinned || digest === undefined)
    throw new LockError(
      'LOCK_UNPINNED',
      `server "${id}": image ${ref} has no pin.image (digest and cosign signature verified with your key)` +
        (digest === undefined
          ? '; a tag cannot be pinned without a container engine: name it by @sha256 digest'
          : '; or pass --allow-unpinned to pin its digest unsigned'),
    );
  return { kind: 'image', ref, digest };
};

const lockFile = async (source: Source<'file'>): Promise<LockPackage> => {
  const path = source.role === 'binary' ? await resolveBinary(source.path) : source.path;
  if (source.role === 'binary')
    return { kind: 'file', role: source.role, path, sha256: await hashFile(path) };
  const graph = await scriptGraph(path);
  return {
    kind: 'file',
    role: source.role,
    path,
    sha256: await hashFile(path),
    modules: graph.modules,
    packages: graph.packages,
  };
};

const lockNodeModules = async (
  id: string,
  server: ServerConfig,
  source: Source<'node_modules'>,
  options: LockPackageOptions,
): Promise<LockPackage> => {
  const { version, integrity } = await readInstalled(
    source.installPath,
    source.nodeModules,
    source.name,
  );
  const provenance = await provenanceOf(id, server, options, source.name, version, async () => {
    const hex = integrity && integrityHex(integrity);
    if (!hex)
      throw new PackageError(
        'PACKAGE_PROVENANCE_INVALID',
        `${source.name}@${version}: no sha512 integrity to check the attestation against`,
      );
    return hex;
  });
  const files = await hashTreeFiles(source.installPath);
  return {
    kind: 'npm',
    name: source.name,
    version,
    spec: `${source.name}@${version}`,
    launcher: 'node_modules',
    ...(integrity !== undefined && { integrity }),
    installPath: source.installPath,
    tree: treeDigest(files),
    files: sortedRecord(files),
    provenance,
  };
};

/**
 * An npx/npm exec server: the exact version and integrity from the registry, provenance verified.
 * {@link installManaged} then installs it into the store the gateway starts it from.
 */
const lockNpx = async (
  id: string,
  server: ServerConfig,
  source: Source<'npx'>,
  options: LockPackageOptions,
): Promise<LockPackage> => {
  if (source.unpinned !== undefined) {
    const unresolvable = /git|URL|path|npx /.test(source.unpinned);
    if (!options.allowUnpinned || unresolvable)
      throw new LockError(
        'LOCK_UNPINNED',
        `server "${id}": ${source.unpinned}; pin an exact version${unresolvable ? ' from the registry' : ' (or pass --allow-unpinned to resolve it now)'}`,
      );
  }
  const wanted = source.unpinned === undefined ? source.version : source.version || undefined;
  const info = await resolveVersion(options.npm, source.name, wanted);
  const provenance = await provenanceOf(id, server, options, source.name, info.version, async () =>
    tarballDigest(await fetchTarball(info.tarball, options.npm), info.integrity),
  );
  return {
    kind: 'npm',
    name: source.name,
    version: info.version,
    spec: source.spec,
    launcher: 'store',
    integrity: info.integrity,
    provenance,
  };
};

/** Fetches and verifies the registry's attestations per `pin.provenance`; fails closed. */
const provenanceOf = async (
  id: string,
  server: ServerConfig,
  options: LockPackageOptions,
  name: string,
  version: string,
  digest: () => Promise<string>,
): Promise<VerifiedProvenance | 'absent'> => {
  const mode = server.pin?.provenance ?? 'if-present';
  if (mode === 'off' && !server.pin?.identity) return 'absent';
  const attestations = await fetchAttestations(options.npm, name, version);
  if (attestations.length === 0) {
    if (mode === 'required' || server.pin?.identity)
      throw new PackageError(
        'PACKAGE_IDENTITY_MISMATCH',
        `server "${id}": ${name}@${version} has no provenance on the registry, but it is required`,
      );
    return 'absent';
  }
  if (options.trustedRoot === undefined)
    throw new PackageError(
      'PACKAGE_PROVENANCE_INVALID',
      `server "${id}": ${name}@${version} has attestations but no lock.trustedRoot is configured to verify them`,
    );
  return verifyProvenance({
    attestations,
    name,
    version,
    tarballSha512: await digest(),
    trustedRoot: options.trustedRoot,
    identity: server.pin?.identity,
  });
};

/** Reads `pin.image`'s key and bundle (paths relative to the config) and verifies the signature over the image digest. */
export const verifyConfiguredImage = async (
  pin: { readonly ref: string; readonly publicKey: string; readonly signature: string },
  configDir: string,
): Promise<{ digest: string; publicKeySha256: string }> => {
  let publicKeyPem: string;
  let bundle: unknown;
  try {
    publicKeyPem = await readFile(resolve(configDir, pin.publicKey), 'utf8');
    bundle = JSON.parse(await readFile(resolve(configDir, pin.signature), 'utf8')) as unknown;
  } catch (cause) {
    throw new PackageError(
      'PACKAGE_SIGNATURE_INVALID',
      `image ${pin.ref}: cannot read its key or signature bundle: ${(cause as Error).message}`,
      { cause },
    );
  }
  return verifyImageSignature({ ref: pin.ref, publicKeyPem, bundle });
};
