import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isContainerServer, type ServerConfig } from '../config/schema.js';
import { LockError, PackageError } from '../errors.js';
import type { LockPackage } from '../pins/lock.js';
import {
  findNpxInstall,
  hashFile,
  hashTree,
  hashTreeFiles,
  readInstalled,
  resolveBinary,
  treeDigest,
  type NpxInstall,
} from './fingerprint.js';
import { identifyPackage, imageToRun, npxContext, pinNpxArgs, splitSpec } from './identify.js';
import { verifyImageSignature } from './image.js';
import { scriptGraph } from './script-graph.js';
import { tarballTree } from './tarball.js';
import { verifyProvenance, tarballDigest, type VerifiedProvenance } from './provenance.js';
import { fetchAttestations, fetchTarball, resolveVersion } from './registry.js';

export interface LockPackageOptions {
  /** Directory of the config: relative paths in `pin` and `lock` are resolved against it. */
  readonly configDir: string;
  /** The gateway's working directory: relative server paths resolve against it, as the spawn does. */
  readonly cwd: string;
  readonly registry: string;
  /** Parsed trusted_root.json, if configured. */
  readonly trustedRoot: unknown;
  readonly allowUnpinned: boolean;
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
    case 'image': {
      const { digest, publicKeySha256 } = await verifyConfiguredImage(source, options.configDir);
      if (isContainerServer(server)) {
        const run = imageToRun(server.image, { ref: source.ref, digest });
        if (!run.ok)
          throw new LockError('LOCK_UNPINNED', `server "${id}": ${run.message} (pin.image.ref)`);
      }
      return { kind: 'image', ref: source.ref, digest, publicKeySha256 };
    }
    case 'unsigned-image': {
      const digest = /@(sha256:[0-9a-f]{64})$/.exec(source.ref)?.[1];
      if (!options.allowUnpinned || digest === undefined)
        throw new LockError(
          'LOCK_UNPINNED',
          `server "${id}": image ${source.ref} has no pin.image (digest and cosign signature verified with your key)` +
            (digest === undefined
              ? '; a tag cannot be pinned without a container engine: name it by @sha256 digest'
              : '; or pass --allow-unpinned to pin its digest unsigned'),
        );
      return { kind: 'image', ref: source.ref, digest };
    }
    case 'file': {
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
    }
    case 'node_modules': {
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
      return {
        kind: 'npm',
        name: source.name,
        version,
        spec: `${source.name}@${version}`,
        launcher: 'node_modules',
        ...(integrity !== undefined && { integrity }),
        installPath: source.installPath,
        ...(await treeRecord(source.installPath)),
        provenance,
      };
    }
    case 'npx': {
      if (source.unpinned !== undefined) {
        const gitLike = /git|URL|path|npx without/.test(source.unpinned);
        if (!options.allowUnpinned || gitLike)
          throw new LockError(
            'LOCK_UNPINNED',
            `server "${id}": ${source.unpinned}; pin an exact version${gitLike ? ' from the registry' : ' (or pass --allow-unpinned to resolve it now)'}`,
          );
      }
      const wanted = source.unpinned === undefined ? source.version : source.version || undefined;
      const info = await resolveVersion(options.registry, source.name, wanted);
      const provenance = await provenanceOf(
        id,
        server,
        options,
        source.name,
        info.version,
        async () => tarballDigest(await fetchTarball(info.tarball), info.integrity),
      );
      return {
        kind: 'npm',
        name: source.name,
        version: info.version,
        spec: source.spec,
        launcher: 'npx',
        integrity: info.integrity,
        provenance,
      };
    }
  }
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
  const attestations = await fetchAttestations(options.registry, name, version);
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

/** What a server is spawned as under a lock: an npx spec at the exact locked version, a container image by its locked digest. */
export const spawnedAs = (server: ServerConfig, pkg: LockPackage, cwd: string): ServerConfig => {
  if (pkg.kind === 'npm') return effectiveNpxArgs(server, cwd, pkg.version);
  if (pkg.kind === 'image' && isContainerServer(server)) {
    const run = imageToRun(server.image, pkg);
    // A mismatch is left as configured: the before-spawn check refuses that server (and only it).
    return run.ok ? { ...server, image: run.image } : server;
  }
  return server;
};

/**
 * The copy npx installed must be exactly the registry tarball whose integrity the lock records
 * (every file, byte for byte), so a copy tampered before `lock` or `approve` is never pinned.
 */
const assertCopyIsTarball = async (
  name: string,
  version: string,
  integrity: string,
  installPath: string,
  tree: string,
  registry: string,
): Promise<void> => {
  const info = await resolveVersion(registry, name, version);
  if (info.integrity !== integrity)
    throw new PackageError(
      'PACKAGE_TAMPERED',
      `${name}@${version}: the registry integrity changed since it was resolved`,
    );
  const tarball = await fetchTarball(info.tarball);
  if (`sha512-${createHash('sha512').update(tarball).digest('base64')}` !== integrity)
    throw new PackageError(
      'PACKAGE_TAMPERED',
      `${name}@${version}: the tarball does not match the registry integrity ${integrity}`,
    );
  if (tarballTree(tarball) !== tree)
    throw new PackageError(
      'PACKAGE_TAMPERED',
      `the copy npx runs (${installPath}) differs from the registry tarball of ${name}@${version} (${integrity}): not pinned`,
    );
};

/** The spec an npx server's child is started with: as configured, or the exact version the lock resolved. */
const effectiveNpxSpec = (spec: string, unpinned: string | undefined, version: string): string =>
  unpinned === undefined ? spec : `${splitSpec(spec).name}@${version}`;

/** An npx server's args as spawned: an unpinned spec rewritten to the exact locked version. */
const effectiveNpxArgs = (server: ServerConfig, cwd: string, version: string): ServerConfig => {
  const source = identifyPackage(server, cwd);
  if (source.kind !== 'npx' || source.unpinned === undefined || !('args' in server)) return server;
  return { ...server, args: pinNpxArgs(server.args, source.spec, version) };
};

/** The copy of an npx server's package its child will run, as the I/O layer finds it now. */
export const locateNpxInstall = async (
  server: ServerConfig,
  pkg: { name: string; version: string },
  cwd: string,
): Promise<NpxInstall | undefined> => {
  const source = identifyPackage(server, cwd);
  if (source.kind !== 'npx') return undefined;
  const context = npxContext(server, cwd, process.env);
  const spec = effectiveNpxSpec(source.spec, source.unpinned, pkg.version);
  if (context.cacheRoot === undefined) {
    // No host cache (sandboxed, no npm_config_cache): only a project-tree copy is on the host.
    const found = await findNpxInstall(pkg.name, pkg.version, spec, context.cwd, '/nonexistent');
    return found?.where === 'local' ? found : undefined;
  }
  return findNpxInstall(pkg.name, pkg.version, spec, context.cwd, context.cacheRoot);
};

/** An installed package's tree digest and the per-file hashes it digests (to name a changed file later). */
const treeRecord = async (
  installPath: string,
): Promise<{ tree: string; files: Record<string, string> }> => {
  const files = await hashTreeFiles(installPath);
  return {
    tree: treeDigest(files),
    files: Object.fromEntries([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
};

/**
 * After `lock` started an npx server (which installed it), pins the copy npx runs: the package's
 * files, and for npx's own cache directory every dependency too. A copy npx installs afresh inside
 * the sandbox at each start has no host copy to pin: the lock then enforces the exact version only.
 */
export const recordNpxInstall = async (
  server: ServerConfig,
  pkg: LockPackage,
  cwd: string,
  registry: string,
): Promise<LockPackage> => {
  if (pkg.kind !== 'npm' || pkg.launcher !== 'npx') return pkg;
  const found = await locateNpxInstall(server, pkg, cwd);
  if (!found) return pkg;
  const { tree, files } = await treeRecord(found.installPath);
  if (pkg.integrity !== undefined)
    await assertCopyIsTarball(
      pkg.name,
      pkg.version,
      pkg.integrity,
      found.installPath,
      tree,
      registry,
    );
  return {
    ...pkg,
    installPath: found.installPath,
    tree,
    files,
    ...(found.dependencyRoot !== undefined && {
      dependencies: await hashTree(found.dependencyRoot, true),
    }),
  };
};
