import { createHash } from 'node:crypto';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { PackageError } from '../errors.js';
import { hashTree, hashTreeFiles, sortedRecord, treeDigest } from './fingerprint.js';
import type { NpmSettings } from './npmrc.js';
import { nonRegistrySource } from './npm-sources.js';
import { pickBin } from './npx-args.js';
import { assertStoreSafe } from './store-safety.js';

/**
 * The managed package store: `toolgate lock` installs each npx server's exact package and its whole
 * dependency tree here with npm's own libraries, and `run`/`serve` start it from here, read-only.
 * One entry per (package tarball integrity, dependency tree hash): content-addressed, never updated
 * in place, so an entry either matches the lock byte for byte or the start is refused.
 */

/** What the lock records of a store install, and what locates its entry again. */
export interface StoreRecord {
  readonly name: string;
  readonly version: string;
  readonly integrity: string;
  /** SHA-256 over every file of the entry's node_modules: the package and every dependency. */
  readonly dependencies: string;
}

/** The entry directory of one locked install: `<root>/<name>@<version>-<integrity key>-<tree key>`. Pure. */
export const storeEntryDir = (root: string, record: StoreRecord): string =>
  join(
    root,
    `${record.name.replace('/', '+')}@${record.version}-${createHash('sha256').update(record.integrity).digest('hex').slice(0, 16)}-${record.dependencies.slice(0, 16)}`,
  );

/** The installed package directory inside an entry. Pure. */
export const storePackageDir = (root: string, record: StoreRecord): string =>
  join(storeEntryDir(root, record), 'node_modules', record.name);

export interface StoreInstall extends StoreRecord {
  /** The bin npx would run, relative to the package. */
  readonly bin: string;
  readonly tree: string;
  readonly files: Record<string, string>;
  readonly packageDir: string;
}

const failed = (what: string, cause?: unknown) =>
  new PackageError(
    'PACKAGE_INSTALL_FAILED',
    `${what}${cause instanceof Error ? `: ${cause.message}` : ''}`,
    { cause },
  );

/** Everyone may read and traverse, nobody may write a file in place: the sandbox uid reads it, nothing edits it. */
export const seal = async (dir: string): Promise<void> => {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await seal(path);
    else if (entry.isFile()) await chmod(path, (await lstat(path)).mode & 0o111 ? 0o555 : 0o444);
  }
};

/** A fresh install folder in the store root, made 0755 and refused if another user could change it (PKG-16). */
export const openInstall = async (root: string, context: string): Promise<string> => {
  await mkdir(root, { recursive: true, mode: 0o755 });
  await chmod(root, 0o755);
  await assertStoreSafe(root, context);
  return mkdtemp(join(root, '.install-'));
};

/**
 * npm's install of the package.json in `work` (install scripts off), once its resolved tree holds
 * registry packages only: a `file:` dependency would be a symlink out of the entry to code no hash
 * covers, a git one would be built by its `prepare` script (PKG-17).
 */
const reifyFromRegistry = async (
  work: string,
  settings: NpmSettings,
  spec: string,
  root: string,
) => {
  const { default: Arborist } = await import('@npmcli/arborist');
  const options = { ...settings, path: work, ignoreScripts: true, audit: false, fund: false };
  const arborist = new Arborist(options);
  const cannot = (cause: unknown) => {
    throw failed(`cannot install ${spec} into the store ${root}`, cause);
  };
  const ideal = await arborist.buildIdealTree().catch(cannot);
  const outside = nonRegistrySource([...ideal.inventory.values()].filter((n) => !n.isRoot));
  if (outside !== undefined)
    throw new PackageError(
      'PACKAGE_SOURCE_REFUSED',
      `${spec}: its dependency ${outside} is not a registry package: its code would lie outside the registry's integrity and the store`,
    );
  return arborist.reify({ save: false }).catch(cannot);
};

/**
 * Installs `name@version` and its dependency tree (npm's resolution, install scripts off) into a
 * fresh directory of the store, checks the package's tarball integrity is the one the lock resolved,
 * hashes it, and moves it to its content-addressed entry (an existing entry is kept only if it is
 * byte for byte the same tree; a tampered one is replaced).
 */
export const installToStore = async (
  request: { name: string; version: string; integrity: string; binName: string | undefined },
  settings: NpmSettings,
  root: string,
): Promise<StoreInstall> => {
  const { name, version, integrity } = request;
  const spec = `${name}@${version}`;
  // npm's libraries are large: loaded only when something is installed, not by every command.
  const { default: pacote } = await import('pacote');
  // Packuments revalidated, never taken from npm's cache while fresh (the public registry lets
  // clients keep them five minutes): after a republish the lock resolved, a cached one still names the
  // old tarball and would refuse the approved one. Tarballs stay cached: they are keyed by integrity.
  const online = { ...settings, preferOnline: true };
  const manifest = await pacote.manifest(spec, online).catch((cause: unknown) => {
    throw failed(`cannot fetch the manifest of ${spec}`, cause);
  });
  if (manifest._integrity !== undefined && manifest._integrity !== integrity)
    throw new PackageError(
      'PACKAGE_TAMPERED',
      `${spec}: the registry's integrity ${manifest._integrity} is not the one resolved (${integrity})`,
    );
  const work = await openInstall(root, `cannot install ${spec}`);
  try {
    await writeFile(
      join(work, 'package.json'),
      JSON.stringify({
        name: 'toolgate-store-entry',
        private: true,
        dependencies: { [name]: version },
      }),
    );
    const tree = await reifyFromRegistry(work, online, spec, root);
    const node = tree.children.get(name);
    if (node?.version !== version || node.integrity !== integrity)
      throw new PackageError(
        'PACKAGE_TAMPERED',
        `${spec}: npm installed ${node?.version ?? 'nothing'} (${node?.integrity ?? 'no integrity'}), not the locked tarball ${integrity}`,
      );
    const packageDir = join(work, 'node_modules', name);
    const bin = pickBin(
      JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { bin?: unknown },
      name,
      request.binName,
    );
    if (!bin.ok) throw failed(bin.reason);
    await seal(work);
    const files = await hashTreeFiles(packageDir);
    const record = {
      name,
      version,
      integrity,
      dependencies: await hashTree(join(work, 'node_modules'), true),
    };
    const entry = await placeEntry(work, storeEntryDir(root, record), record.dependencies);
    return {
      ...record,
      bin: bin.path,
      tree: treeDigest(files),
      files: sortedRecord(files),
      packageDir: join(entry, 'node_modules', name),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
};

/**
 * Moves a finished install to its entry; an entry already there stays only if its `sub` folder is
 * the same tree (`digest`), a tampered one is replaced.
 */
export const placeEntry = async (
  work: string,
  entry: string,
  digest: string,
  sub = 'node_modules',
): Promise<string> => {
  const existing = await hashTree(join(entry, sub), true).catch(() => undefined);
  if (existing === digest) return entry;
  if (existing !== undefined || (await lstat(entry).catch(() => undefined)))
    await rename(entry, `${work}.replaced`).then(() =>
      rm(`${work}.replaced`, { recursive: true, force: true }),
    );
  await rename(work, entry);
  return entry;
};
