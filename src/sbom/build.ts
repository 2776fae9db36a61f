/**
 * CycloneDX 1.6 JSON SBOM of the npm-launched servers a lock pins. Pure: the installed trees are
 * read by the I/O half (packages/installed-tree.ts); the serial number and timestamp are passed in.
 */
import type { InstalledTree } from '../packages/installed-tree.js';

export interface SbomServer {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly integrity?: string | undefined;
  readonly launcher: string;
  readonly installPath?: string | undefined;
  /** `undefined`: no installed tree on disk, so its dependencies are unknown. */
  readonly tree?: InstalledTree | undefined;
}

export interface SbomInput {
  readonly servers: readonly SbomServer[];
  readonly serialNumber: string;
  readonly timestamp: string;
  readonly toolVersion: string;
}

interface Hash {
  alg: 'SHA-512' | 'SHA-384' | 'SHA-256' | 'SHA-1';
  content: string;
}
interface Property {
  name: string;
  value: string;
}
interface CdxComponent {
  type: 'application' | 'library';
  'bom-ref': string;
  name: string;
  version: string;
  purl: string;
  hashes?: Hash[];
  properties?: Property[];
  components?: CdxComponent[];
}
export interface CdxBom {
  bomFormat: 'CycloneDX';
  specVersion: '1.6';
  serialNumber: string;
  version: 1;
  metadata: {
    timestamp: string;
    tools: { components: { type: 'application'; name: string; version: string }[] };
  };
  components: CdxComponent[];
  dependencies: { ref: string; dependsOn: string[] }[];
  compositions: { aggregate: 'complete' | 'incomplete' | 'unknown'; assemblies: string[] }[];
}

const SRI_ALGORITHMS: Record<string, Hash['alg']> = {
  sha512: 'SHA-512',
  sha384: 'SHA-384',
  sha256: 'SHA-256',
  sha1: 'SHA-1',
};

/** SRI (`sha512-<base64>`, possibly several space-separated) → CycloneDX hashes (hex). Unknown algorithms are left out. */
export const sriToHashes = (integrity: string | undefined): Hash[] => {
  if (integrity === undefined) return [];
  const hashes: Hash[] = [];
  for (const part of integrity.trim().split(/\s+/)) {
    const dash = part.indexOf('-');
    const alg = SRI_ALGORITHMS[part.slice(0, dash)];
    const body = part.slice(dash + 1);
    if (dash < 0 || alg === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) continue;
    hashes.push({ alg, content: Buffer.from(body, 'base64').toString('hex') });
  }
  return hashes;
};

const encode = (s: string): string => encodeURIComponent(s);

/** The package URL of an npm package: `pkg:npm/%40scope/name@1.2.3` (the purl spec percent-encodes `@` of a scope). */
export const npmPurl = (name: string, version: string): string => {
  const slash = name.startsWith('@') ? name.indexOf('/') : -1;
  const path =
    slash > 0 ? `${encode(name.slice(0, slash))}/${encode(name.slice(slash + 1))}` : encode(name);
  return `pkg:npm/${path}@${encode(version)}`;
};

const component = (
  type: CdxComponent['type'],
  ref: string,
  name: string,
  version: string,
  integrity: string | undefined,
): CdxComponent => {
  const hashes = sriToHashes(integrity);
  return {
    type,
    'bom-ref': ref,
    name,
    version,
    purl: npmPurl(name, version),
    ...(hashes.length > 0 && { hashes }),
  };
};

const serverRef = (id: string): string => `server:${id}`;
const packageRef = (id: string, purl: string): string => `${id}:${purl}`;

/**
 * Builds the SBOM: one `application` component per server (its npm package), its dependencies nested
 * as `library` components (one per name@version: copies of one version in several folders are one
 * component), the dependency graph, and per server whether its dependency list is complete.
 */
export const buildSbom = (input: SbomInput): CdxBom => {
  const components: CdxComponent[] = [];
  const dependencies: CdxBom['dependencies'] = [];
  const complete: string[] = [];
  const incomplete: string[] = [];
  const unknown: string[] = [];
  for (const server of [...input.servers].sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  )) {
    const ref = serverRef(server.id);
    const app = component('application', ref, server.name, server.version, server.integrity);
    app.properties = [
      { name: 'toolgate:server', value: server.id },
      { name: 'toolgate:launcher', value: server.launcher },
      ...(server.installPath !== undefined
        ? [{ name: 'toolgate:installPath', value: server.installPath }]
        : []),
    ];
    components.push(app);
    const tree = server.tree;
    if (tree === undefined) {
      unknown.push(ref);
      dependencies.push({ ref, dependsOn: [] });
      continue;
    }
    (tree.missing.length > 0 ? incomplete : complete).push(ref);
    // One bom-ref per name@version inside this server: refs of the same package in two servers differ.
    const refOf = (key: string): string | undefined => {
      if (key === tree.root) return ref;
      const pkg = tree.packages.get(key);
      return pkg && packageRef(server.id, npmPurl(pkg.name, pkg.version));
    };
    const libraries = new Map<string, CdxComponent>();
    const edges = new Map<string, Set<string>>([[ref, new Set()]]);
    for (const [key, pkg] of [...tree.packages].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const from = refOf(key) as string;
      if (key !== tree.root && !libraries.has(from)) {
        libraries.set(from, component('library', from, pkg.name, pkg.version, pkg.integrity));
        edges.set(from, new Set());
      }
      for (const dep of pkg.dependsOn) {
        const to = refOf(dep);
        if (to !== undefined && to !== from) edges.get(from)?.add(to);
      }
    }
    if (libraries.size > 0)
      app.components = [...libraries.values()].sort((a, b) =>
        a['bom-ref'] < b['bom-ref'] ? -1 : 1,
      );
    for (const [from, to] of edges) dependencies.push({ ref: from, dependsOn: [...to].sort() });
  }
  const compositions: CdxBom['compositions'] = [];
  if (complete.length > 0) compositions.push({ aggregate: 'complete', assemblies: complete });
  if (incomplete.length > 0) compositions.push({ aggregate: 'incomplete', assemblies: incomplete });
  if (unknown.length > 0) compositions.push({ aggregate: 'unknown', assemblies: unknown });
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: input.serialNumber,
    version: 1,
    metadata: {
      timestamp: input.timestamp,
      tools: {
        components: [{ type: 'application', name: 'toolgate', version: input.toolVersion }],
      },
    },
    components,
    dependencies,
    compositions,
  };
};
