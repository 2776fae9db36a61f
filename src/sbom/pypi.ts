/**
 * The SBOM part of a Python (uvx, pipx) server the lock pins. Pure: the lock names every wheel
 * pip installed, by file name and SHA-256, so the components come from the lock alone.
 */
import { normalizePypiName, parseWheelName } from '../packages/wheel-name.js';

/** One wheel of a Python server's locked tree. */
export interface PypiWheel {
  readonly file: string;
  /** PEP 503 normalized, from the file name. */
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
}

/**
 * The wheels of a lock's `distributions` (file name → SHA-256), sorted by file name. A file name
 * that is not a wheel's is returned in `unreadable` rather than guessed at.
 */
export const toPypiWheels = (
  distributions: Readonly<Record<string, string>>,
): { wheels: PypiWheel[]; unreadable: string[] } => {
  const wheels: PypiWheel[] = [];
  const unreadable: string[] = [];
  for (const [file, sha256] of Object.entries(distributions).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  )) {
    const parsed = parseWheelName(file);
    if (parsed === undefined) unreadable.push(file);
    else wheels.push({ file, name: parsed.name, version: parsed.version, sha256 });
  }
  return { wheels, unreadable };
};

/**
 * The package URL of a Python distribution: `pkg:pypi/<name>@<version>`, the name PEP 503
 * normalized (the purl spec's pypi type lowercases it and writes `_` as `-`).
 * @example pypiPurl('Zope.Interface', '6.0') // 'pkg:pypi/zope-interface@6.0'
 */
export const pypiPurl = (name: string, version: string): string =>
  `pkg:pypi/${encodeURIComponent(normalizePypiName(name))}@${encodeURIComponent(version)}`;

/** The server's own wheel among its locked wheels: the one with its (normalized) name. */
export const ownWheel = (name: string, wheels: readonly PypiWheel[]): PypiWheel | undefined =>
  wheels.find((w) => w.name === normalizePypiName(name));
