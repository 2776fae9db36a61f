import { PackageError } from '../errors.js';
import type { LockPackage } from '../pins/lock.js';

const refused = (id: string, what: string, release: string): PackageError =>
  new PackageError(
    'PACKAGE_TAMPERED',
    `server "${id}": ${what} for the same release ${release} (a rug pull or a republish). Nothing was installed; review it, then "toolgate approve --config <config> ${id}" takes the new file`,
  );

/**
 * A re-lock of the same release must find the same files: a registry or index that now serves
 * another tarball (npm integrity) or another wheel (sha256) for a version the lock pinned is a rug
 * pull or a republish, refused until reviewed (`toolgate approve SERVER` takes the new files). A new
 * version is an upgrade, judged by the lock's review, not here.
 */
export const assertSameRelease = (
  id: string,
  previous: LockPackage | undefined,
  now: LockPackage,
): void => {
  if (previous?.kind === 'npm' && now.kind === 'npm') {
    if (previous.name !== now.name || previous.version !== now.version) return;
    if (previous.integrity !== undefined && previous.integrity !== now.integrity)
      throw refused(
        id,
        `the registry now serves ${now.name}@${now.version} with integrity ${now.integrity ?? '(none)'}, but toolgate.lock pinned ${previous.integrity}`,
        `${now.name}@${now.version}`,
      );
    return;
  }
  if (previous?.kind !== 'pypi' || now.kind !== 'pypi' || previous.name !== now.name) return;
  if (previous.version !== now.version) return;
  for (const [file, sha256] of Object.entries(now.distributions)) {
    const pinned = previous.distributions[file];
    if (pinned !== undefined && pinned !== sha256)
      throw refused(
        id,
        `the index now serves ${file} with sha256 ${sha256}, but toolgate.lock pinned ${pinned}`,
        `${now.name}==${now.version}`,
      );
  }
};
