import { resolve } from 'node:path';
import { isContainerServer, type ServerConfig } from '../config/schema.js';
import { PackageError } from '../errors.js';
import type { LockPackage } from '../pins/lock.js';
import { assertNpmMatchesLock, firstDifference, tampered } from './check-npm.js';
import { hashFile, resolveBinary } from './fingerprint.js';
import { identifyPackage, type PackageSource } from './identify.js';
import { verifyConfiguredImage } from './lock-package.js';
import { assertPypiMatchesLock } from './pypi-store.js';
import { scriptGraph } from './script-graph.js';

/**
 * Before every spawn: what is about to run must be what the lock pinned. An installed npm package
 * is re-hashed file by file, a script or binary by its SHA-256, an npx spec must be the exact locked
 * version (its installed copy re-hashed), and an image is started by the locked digest with its
 * signature verified again. Any difference refuses the start.
 */
export const assertInstalledMatchesLock = async (
  id: string,
  server: ServerConfig,
  locked: LockPackage,
  cwd: string,
  configDir: string = cwd,
  /** `lock.python`: the only interpreter, besides the defaults, a pypi lock entry may run. */
  python?: string,
): Promise<void> => {
  const identified = identifyPackage(server, cwd);
  // A uvx/pipx launcher locked unmanaged (no usable Python at lock) is checked as the binary it is.
  const source: PackageSource =
    identified.kind === 'pypi' && locked.kind === 'file'
      ? { kind: 'file', role: 'binary', path: identified.launcher }
      : identified;
  switch (locked.kind) {
    case 'remote':
      if (source.kind !== 'remote') throw tampered(id, 'the kind of server');
      return;
    case 'image': {
      if (source.kind !== 'image' && source.kind !== 'unsigned-image')
        throw tampered(id, 'the kind of server');
      if (source.kind === 'image' && source.ref !== locked.ref)
        throw tampered(id, `the pinned image reference (pin.image.ref ${source.ref})`);
      // The argv runs `server.image`: it must be the locked digest itself, never a tag.
      if (isContainerServer(server) && server.image !== locked.ref)
        throw tampered(id, `the image to start (${server.image}; the lock pins ${locked.ref})`);
      if (locked.publicKeySha256 === undefined) {
        if (source.kind === 'image')
          throw tampered(
            id,
            'the image signature (the lock has none; run toolgate approve to verify and pin it)',
          );
        return;
      }
      if (source.kind !== 'image')
        throw tampered(id, 'the image signature requirement (pin.image was removed)');
      // The signature is verified again from the configured key and bundle: a swapped key or bundle refuses.
      const verified = await verifyConfiguredImage(source, configDir);
      if (verified.digest !== locked.digest || verified.publicKeySha256 !== locked.publicKeySha256)
        throw new PackageError(
          'PACKAGE_SIGNATURE_INVALID',
          `server "${id}" not started: the image ${locked.ref} is signed with another key than toolgate.lock pins`,
        );
      return;
    }
    case 'file': {
      if (source.kind !== 'file') throw tampered(id, 'the kind of executable');
      const path =
        source.role === 'binary'
          ? await resolveBinary(source.path).catch(() => source.path)
          : source.path;
      if (resolve(path) !== resolve(locked.path))
        throw tampered(id, `the executable path (${path})`);
      const actual = await hashFile(path).catch(() => 'unreadable');
      if (actual !== locked.sha256) throw tampered(id, `the ${locked.role} ${path}`);
      if (locked.modules !== undefined || locked.packages !== undefined) {
        // What the script loads now, read again from its source: a changed, added or removed module refuses the start.
        const now = await scriptGraph(path).catch(() => ({ modules: {}, packages: {} }));
        const changed =
          firstDifference(locked.modules ?? {}, now.modules) ??
          firstDifference(locked.packages ?? {}, now.packages);
        if (changed !== undefined) throw tampered(id, `${changed}, loaded by the script ${path},`);
      }
      return;
    }
    case 'npm':
      return assertNpmMatchesLock(id, source, locked);
    case 'pypi':
      return assertPypiMatchesLock(id, server, locked, python);
  }
};
