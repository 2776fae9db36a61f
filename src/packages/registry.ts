import { PackageError } from '../errors.js';

export const DEFAULT_REGISTRY = 'https://registry.npmjs.org';

/** One npm attestation as the registry's attestations endpoint serves it. */
export interface RegistryAttestation {
  readonly predicateType: string;
  readonly bundle: unknown;
}

export interface VersionInfo {
  readonly version: string;
  readonly integrity: string;
  readonly tarball: string;
}

const TIMEOUT_MS = 30_000;

const get = async (url: string): Promise<Response> => {
  try {
    return await fetch(url, {
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: { accept: 'application/json' },
    });
  } catch (cause) {
    throw new PackageError(
      'PACKAGE_REGISTRY_ERROR',
      `cannot reach ${url}: ${(cause as Error).message}`,
      { cause },
    );
  }
};

const base = (registry: string) => registry.replace(/\/+$/, '');
const encodeName = (name: string) => name.replace('/', '%2f');

/** Resolves a version or dist-tag (or, for a bare name, `latest`) to exact version, integrity and tarball URL. */
export const resolveVersion = async (
  registry: string,
  name: string,
  wanted: string | undefined,
): Promise<VersionInfo> => {
  const response = await get(`${base(registry)}/${encodeName(name)}`);
  if (!response.ok)
    throw new PackageError(
      'PACKAGE_REGISTRY_ERROR',
      `registry has no package ${name} (HTTP ${response.status})`,
    );
  // untrusted: registry metadata; only exact fields are read.
  const doc = (await response.json()) as {
    'dist-tags'?: Record<string, string>;
    versions?: Record<string, { dist?: { integrity?: unknown; tarball?: unknown } }>;
  };
  const tag = doc['dist-tags']?.[wanted ?? 'latest'];
  const version = doc.versions?.[wanted ?? ''] ? (wanted as string) : tag;
  const dist = version === undefined ? undefined : doc.versions?.[version]?.dist;
  if (
    version === undefined ||
    typeof dist?.integrity !== 'string' ||
    typeof dist.tarball !== 'string'
  )
    throw new PackageError(
      'PACKAGE_REGISTRY_ERROR',
      `registry has no version "${wanted ?? 'latest'}" of ${name} with an integrity`,
    );
  return { version, integrity: dist.integrity, tarball: dist.tarball };
};

/** The package version's attestations, or `[]` when the registry has none (404). */
export const fetchAttestations = async (
  registry: string,
  name: string,
  version: string,
): Promise<RegistryAttestation[]> => {
  const response = await get(
    `${base(registry)}/-/npm/v1/attestations/${encodeName(name)}@${version}`,
  );
  if (response.status === 404) return [];
  if (!response.ok)
    throw new PackageError(
      'PACKAGE_REGISTRY_ERROR',
      `attestations of ${name}@${version}: HTTP ${response.status}`,
    );
  const doc = (await response.json()) as { attestations?: unknown };
  if (!Array.isArray(doc.attestations))
    throw new PackageError(
      'PACKAGE_REGISTRY_ERROR',
      `attestations of ${name}@${version}: malformed answer`,
    );
  return doc.attestations.filter(
    (a): a is RegistryAttestation =>
      typeof a === 'object' &&
      a !== null &&
      typeof (a as { predicateType?: unknown }).predicateType === 'string',
  );
};

export const fetchTarball = async (url: string): Promise<Buffer> => {
  const response = await get(url);
  if (!response.ok)
    throw new PackageError('PACKAGE_REGISTRY_ERROR', `tarball ${url}: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
};
