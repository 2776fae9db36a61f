import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ServerConfig } from '../config/schema.js';
import { LockError, PackageError } from '../errors.js';
import type { LockPackage } from '../pins/lock.js';
import { findNpxInstall, hashFile, hashTree, readInstalled, resolveBinary, type NpxInstall } from './fingerprint.js';
import { identifyPackage, npxContext, pinNpxArgs, splitSpec } from './identify.js';
import { verifyImageSignature } from './image.js';
import { scriptGraph } from './script-graph.js';
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
  integrity.startsWith('sha512-') ? Buffer.from(integrity.slice(7), 'base64').toString('hex') : undefined;

/**
 * Pins what runs one server (the I/O half of `toolgate lock`): exact npm version, registry
 * integrity and verified provenance; SHA-256 of a script or binary; image digest and signature.
 */
export const lockPackage = async (id: string, server: ServerConfig, options: LockPackageOptions): Promise<LockPackage> => {
  const source = identifyPackage(server, options.cwd);
  switch (source.kind) {
    case 'remote':
      return { kind: 'remote', url: source.url };
    case 'image': {
      const publicKeyPem = await readFile(resolve(options.configDir, source.publicKey), 'utf8');
      const bundle = JSON.parse(await readFile(resolve(options.configDir, source.signature), 'utf8')) as unknown;
      const { digest, publicKeySha256 } = verifyImageSignature({ ref: source.ref, publicKeyPem, bundle });
      return { kind: 'image', ref: source.ref, digest, publicKeySha256 };
    }
    case 'file': {
      const path = source.role === 'binary' ? await resolveBinary(source.path) : source.path;
      if (source.role === 'binary') return { kind: 'file', role: source.role, path, sha256: await hashFile(path) };
      const graph = await scriptGraph(path);
      return { kind: 'file', role: source.role, path, sha256: await hashFile(path), modules: graph.modules, packages: graph.packages };
    }
    case 'node_modules': {
      const { version, integrity } = await readInstalled(source.installPath, source.nodeModules, source.name);
      const provenance = await provenanceOf(id, server, options, source.name, version, async () => {
        const hex = integrity && integrityHex(integrity);
        if (!hex) throw new PackageError('PACKAGE_PROVENANCE_INVALID', `${source.name}@${version}: no sha512 integrity to check the attestation against`);
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
        tree: await hashTree(source.installPath),
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
      const provenance = await provenanceOf(id, server, options, source.name, info.version, async () =>
        tarballDigest(await fetchTarball(info.tarball), info.integrity),
      );
      return { kind: 'npm', name: source.name, version: info.version, spec: source.spec, launcher: 'npx', integrity: info.integrity, provenance };
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
      throw new PackageError('PACKAGE_IDENTITY_MISMATCH', `server "${id}": ${name}@${version} has no provenance on the registry, but it is required`);
    return 'absent';
  }
  if (options.trustedRoot === undefined)
    throw new PackageError('PACKAGE_PROVENANCE_INVALID', `server "${id}": ${name}@${version} has attestations but no lock.trustedRoot is configured to verify them`);
  return verifyProvenance({
    attestations,
    name,
    version,
    tarballSha512: await digest(),
    trustedRoot: options.trustedRoot,
    identity: server.pin?.identity,
  });
};

/** The spec an npx server's child is started with: as configured, or the exact version the lock resolved. */
export const effectiveNpxSpec = (spec: string, unpinned: string | undefined, version: string): string =>
  unpinned === undefined ? spec : `${splitSpec(spec).name}@${version}`;

/** An npx server's args as spawned: an unpinned spec rewritten to the exact locked version. */
export const effectiveNpxArgs = (server: ServerConfig, cwd: string, version: string): ServerConfig => {
  const source = identifyPackage(server, cwd);
  if (source.kind !== 'npx' || source.unpinned === undefined || !('args' in server)) return server;
  return { ...server, args: pinNpxArgs(server.args, source.spec, version) };
};

/** The copy of an npx server's package its child will run, as the I/O layer finds it now. */
export const locateNpxInstall = async (server: ServerConfig, pkg: { name: string; version: string }, cwd: string): Promise<NpxInstall | undefined> => {
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

/**
 * After `lock` started an npx server (which installed it), pins the copy npx runs: the package's
 * files, and for npx's own cache directory every dependency too. A copy npx installs afresh inside
 * the sandbox at each start has no host copy to pin: the lock then enforces the exact version only.
 */
export const recordNpxInstall = async (server: ServerConfig, pkg: LockPackage, cwd: string): Promise<LockPackage> => {
  if (pkg.kind !== 'npm' || pkg.launcher !== 'npx') return pkg;
  const found = await locateNpxInstall(server, pkg, cwd);
  if (!found) return pkg;
  return {
    ...pkg,
    installPath: found.installPath,
    tree: await hashTree(found.installPath),
    ...(found.dependencyRoot !== undefined && { dependencies: await hashTree(found.dependencyRoot, true) }),
  };
};
