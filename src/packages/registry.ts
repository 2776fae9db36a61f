import { PackageError } from '../errors.js';
import { registryFor, type NpmSettings } from './npmrc.js';

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

interface Got {
  readonly status: number;
  readonly body: Buffer;
}

/**
 * A request through npm's own fetch: the registry's `.npmrc` auth (`//host/:_authToken`), proxies
 * and CA apply as they do to the store's install. Metadata is revalidated, never taken from npm's
 * cache while fresh (a republish must be seen at once). An HTTP error status is returned, not
 * thrown; an unreachable registry is PACKAGE_REGISTRY_ERROR. A `json` body is POSTed as JSON.
 */
export const registryRequest = async (
  url: string,
  npm: NpmSettings,
  json?: unknown,
): Promise<Got> => {
  const { default: npmFetch } = await import('npm-registry-fetch');
  try {
    const response = await npmFetch(url, {
      ...npm,
      preferOnline: true,
      timeout: TIMEOUT_MS,
      retry: { retries: 1 },
      headers: { accept: 'application/json' },
      ...(json !== undefined && { method: 'POST', body: json }),
    });
    return { status: response.status, body: await response.buffer() };
  } catch (cause) {
    const status = (cause as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number') return { status, body: Buffer.alloc(0) };
    throw new PackageError(
      'PACKAGE_REGISTRY_ERROR',
      `cannot reach ${url}: ${(cause as Error).message}`,
      { cause },
    );
  }
};

const parseJson = (got: Got, what: string): unknown => {
  try {
    return JSON.parse(got.body.toString('utf8'));
  } catch (cause) {
    throw new PackageError('PACKAGE_REGISTRY_ERROR', `${what}: not JSON`, { cause });
  }
};

const base = (registry: string) => registry.replace(/\/+$/, '');
const encodeName = (name: string) => name.replace('/', '%2f');

/** Resolves a version or dist-tag (or, for a bare name, `latest`) to exact version, integrity and tarball URL. */
export const resolveVersion = async (
  npm: NpmSettings,
  name: string,
  wanted: string | undefined,
): Promise<VersionInfo> => {
  const registry = registryFor(npm, name);
  const response = await registryRequest(`${base(registry)}/${encodeName(name)}`, npm);
  if (response.status !== 200)
    throw new PackageError(
      'PACKAGE_REGISTRY_ERROR',
      `${registry} has no package ${name} (HTTP ${response.status}${response.status === 401 || response.status === 403 ? ': check the registry token in .npmrc' : ''})`,
    );
  // untrusted: registry metadata; only exact fields are read.
  const doc = parseJson(response, `metadata of ${name}`) as {
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
  npm: NpmSettings,
  name: string,
  version: string,
): Promise<RegistryAttestation[]> => {
  const response = await registryRequest(
    `${base(registryFor(npm, name))}/-/npm/v1/attestations/${encodeName(name)}@${version}`,
    npm,
  );
  if (response.status === 404) return [];
  if (response.status !== 200)
    throw new PackageError(
      'PACKAGE_REGISTRY_ERROR',
      `attestations of ${name}@${version}: HTTP ${response.status}`,
    );
  const doc = parseJson(response, `attestations of ${name}@${version}`) as {
    attestations?: unknown;
  };
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

export const fetchTarball = async (url: string, npm: NpmSettings): Promise<Buffer> => {
  const response = await registryRequest(url, npm);
  if (response.status !== 200)
    throw new PackageError('PACKAGE_REGISTRY_ERROR', `tarball ${url}: HTTP ${response.status}`);
  return response.body;
};
