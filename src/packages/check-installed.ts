import { join, resolve } from 'node:path';
import { isContainerServer, type ServerConfig } from '../config/schema.js';
import { PackageError } from '../errors.js';
import type { LockPackage } from '../pins/lock.js';
import {
  hashFile,
  hashTree,
  hashTreeFiles,
  readInstalled,
  resolveBinary,
  treeDigest,
} from './fingerprint.js';
import { identifyPackage, splitSpec } from './identify.js';
import { locateNpxInstall, verifyConfiguredImage } from './lock-package.js';
import { scriptGraph } from './script-graph.js';

/** The first path whose hash differs between two path → hash records (added, removed or changed). */
const firstDifference = (
  locked: Readonly<Record<string, string>>,
  now: Readonly<Record<string, string>>,
): string | undefined =>
  [...new Set([...Object.keys(locked), ...Object.keys(now)])]
    .sort()
    .find((path) => locked[path] !== now[path]);

const tampered = (id: string, what: string) =>
  new PackageError(
    'PACKAGE_TAMPERED',
    `server "${id}" not started: ${what} differs from toolgate.lock (tampered or changed; review and run toolgate lock again)`,
  );

/**
 * An installed package's files against the lock's tree digest; a difference is named by its first
 * differing file when the lock has the per-file hashes (`files`, written by lock since they exist).
 */
const assertTree = async (
  id: string,
  locked: Extract<LockPackage, { kind: 'npm' }>,
  installPath: string,
  where: string,
): Promise<void> => {
  if (locked.tree === undefined) return;
  const now = await hashTreeFiles(installPath);
  if (treeDigest(now) === locked.tree) return;
  const changed = locked.files && firstDifference(locked.files, Object.fromEntries(now));
  const named =
    changed === undefined
      ? ' (lock again to have the differing file named)'
      : ` (first difference: ${join(installPath, changed)})`;
  throw tampered(id, `the installed files of ${locked.name}@${locked.version}${where}${named}`);
};

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
): Promise<void> => {
  const source = identifyPackage(server, cwd);
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
    case 'npm': {
      if (source.kind === 'npx') {
        const { name, version } = splitSpec(source.spec);
        // An unpinned spec was resolved by `lock --allow-unpinned`; the spawn then runs the locked version.
        if (name !== locked.name || (source.unpinned === undefined && version !== locked.version))
          throw tampered(id, `the npx package ${source.spec}`);
        if (locked.tree === undefined) return; // installed afresh inside the sandbox at each start: version only
        // The copy npx will actually run (project tree or npx cache), every file, dependencies too.
        const found = await locateNpxInstall(server, locked, cwd);
        if (!found)
          throw tampered(
            id,
            `the npx copy of ${locked.name}@${locked.version} (not installed where npx looks; was ${locked.installPath ?? '?'}: run toolgate approve ${id} to install and re-pin it)`,
          );
        if (found.installPath !== locked.installPath)
          throw tampered(
            id,
            `the copy npx would run (${found.installPath}, locked: ${locked.installPath ?? '?'})`,
          );
        await assertTree(id, locked, found.installPath, ` in ${found.installPath}`);
        if (
          locked.dependencies !== undefined &&
          (found.dependencyRoot === undefined ||
            (await hashTree(found.dependencyRoot, true)) !== locked.dependencies)
        )
          throw tampered(
            id,
            `the dependencies of ${locked.name}@${locked.version} in ${found.dependencyRoot ?? found.installPath}`,
          );
        return;
      }
      if (source.kind !== 'node_modules' || source.name !== locked.name)
        throw tampered(id, 'the package');
      const installed = await readInstalled(
        source.installPath,
        source.nodeModules,
        source.name,
      ).catch(() => undefined);
      if (installed?.version !== locked.version)
        throw tampered(id, `the installed version of ${locked.name}`);
      await assertTree(id, locked, source.installPath, '');
      return;
    }
  }
};
