import { PackageError } from '../errors.js';
import type { LockPackage } from '../pins/lock.js';
import { findPython, resolveTree } from './pip.js';
import { normalizePypiName } from './wheel-name.js';

type PypiLock = Extract<LockPackage, { kind: 'pypi' }>;

/** What identify.ts found: a uvx/pipx server with one exact version. */
export interface PypiSource {
  readonly name: string;
  readonly version: string;
  readonly spec: string;
  readonly command: string;
}

const DEFAULT_INDEX = 'https://pypi.org/simple';

/**
 * Whether the index lists files of `name==version` but no wheel among them (an sdist-only release).
 * Asked only after pip found no wheel, to say why; false when the page cannot be read.
 */
const isSdistOnly = async (index: string, name: string, version: string): Promise<boolean> => {
  const page = await fetch(`${index.replace(/\/$/, '')}/${normalizePypiName(name)}/`, {
    signal: AbortSignal.timeout(15_000),
  })
    .then((r) => (r.ok ? r.text() : ''))
    .catch(() => '');
  // untrusted: the index's page; only file names are read from it.
  const files = [...page.matchAll(/href="([^"#]+)/g)].map((m) =>
    decodeURIComponent((m[1] ?? '').split('/').pop() ?? ''),
  );
  // `name-version.tar.gz`, `name-version-py3-none-any.whl`: the name part compared normalized.
  const ofVersion = files.filter((file) => {
    const at = file.indexOf(`-${version}`);
    const after = file.slice(at + 1 + version.length);
    return (
      at > 0 &&
      normalizePypiName(file.slice(0, at)) === normalizePypiName(name) &&
      /^[-.]/.test(after)
    );
  });
  return ofVersion.length > 0 && !ofVersion.some((f) => f.endsWith('.whl'));
};

/**
 * Pins a uvx/pipx server (the I/O half of `toolgate lock`): the interpreter that will run it, and
 * every distribution of its dependency tree by wheel file name and the SHA-256 the index gives.
 * {@link installManaged} then installs exactly those files into the store.
 */
export const lockPypi = async (
  id: string,
  source: PypiSource,
  options: { readonly python?: string | undefined; readonly pythonIndex?: string | undefined },
): Promise<PypiLock> => {
  const python = await findPython(options.python);
  if (python === undefined)
    throw new PackageError(
      'PACKAGE_UNMANAGED_LAUNCHER',
      `server "${id}": ${source.spec} needs a Python with pip that the sandbox's uid can run to be installed into the package store, and ${options.python ?? 'neither /usr/bin/python3 nor /usr/local/bin/python3'} is one. Fix: install python3 and python3-pip (apt-get install python3-pip), or set lock.python`,
    );
  const spec = `${source.name}==${source.version}`;
  const resolved = await resolveTree(python, {
    name: source.name,
    version: source.version,
    index: options.pythonIndex,
  });
  if (!resolved.ok) {
    const index = options.pythonIndex ?? process.env['PIP_INDEX_URL'] ?? DEFAULT_INDEX;
    if (await isSdistOnly(index, source.name, source.version))
      throw new PackageError(
        'PACKAGE_SDIST_REFUSED',
        `server "${id}": ${spec} has only a source distribution on ${new URL(index).host}: toolgate installs wheels only (building an sdist runs its code). Use a release with a wheel, or build the wheel yourself and serve it from your own index (lock.pythonIndex)`,
      );
    throw new PackageError(
      'PACKAGE_INSTALL_FAILED',
      `server "${id}": pip cannot resolve ${spec} as wheels for Python ${python.version}: ${resolved.pip}`,
    );
  }
  return {
    kind: 'pypi',
    name: source.name,
    version: source.version,
    spec: source.spec,
    command: source.command,
    python: python.path,
    distributions: Object.fromEntries(resolved.tree.map((d) => [d.file, d.sha256])),
  };
};
