/**
 * CycloneDX 1.6 JSON SBOM of the npm and Python servers a lock pins. Pure: the installed trees are
 * read by the I/O half (packages/installed-tree.ts); the serial number and timestamp are passed in.
 */
import type { InstalledTree } from '../packages/installed-tree.js';
import { ownWheel, pypiPurl, type PypiWheel } from './pypi.js';

/** An npm server: its package and, when on disk, the installed tree it runs from. */
export interface NpmSbomServer {
  readonly kind: 'npm';
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly integrity?: string | undefined;
  readonly launcher: string;
  readonly installPath?: string | undefined;
  /** `undefined`: no installed tree on disk, so its dependencies are unknown. */
  readonly tree?: InstalledTree | undefined;
}

/** A uvx/pipx server: every wheel the lock pins (its own among them), as pip installed them. */
export interface PypiSbomServer {
  readonly kind: 'pypi';
  readonly id: string;
  readonly name: string;
  readonly version: string;
  /** The interpreter the lock names. */
  readonly python: string;
  readonly installPath?: string | undefined;
  readonly wheels: readonly PypiWheel[];
  /** Files of the lock's `distributions` whose name is not a wheel's: left out, so the list is incomplete. */
  readonly unreadable: readonly string[];
}

export type SbomServer = NpmSbomServer | PypiSbomServer;

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

type Aggregate = CdxBom['compositions'][number]['aggregate'];
interface ServerPart {
  readonly app: CdxComponent;
  readonly dependencies: CdxBom['dependencies'];
  readonly aggregate: Aggregate;
}

const properties = (server: SbomServer, launcher: string): Property[] => [
  { name: 'toolgate:server', value: server.id },
  { name: 'toolgate:launcher', value: launcher },
  ...(server.installPath !== undefined
    ? [{ name: 'toolgate:installPath', value: server.installPath }]
    : []),
];

/**
 * An npm server: its package, its dependencies nested as `library` components (one per
 * name@version: copies of one version in several folders are one component) and their graph.
 */
const npmPart = (server: NpmSbomServer): ServerPart => {
  const ref = serverRef(server.id);
  const app = component('application', ref, server.name, server.version, server.integrity);
  app.properties = properties(server, server.launcher);
  const tree = server.tree;
  if (tree === undefined)
    return { app, dependencies: [{ ref, dependsOn: [] }], aggregate: 'unknown' };
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
    app.components = [...libraries.values()].sort((a, b) => (a['bom-ref'] < b['bom-ref'] ? -1 : 1));
  return {
    app,
    dependencies: [...edges].map(([from, to]) => ({ ref: from, dependsOn: [...to].sort() })),
    aggregate: tree.missing.length > 0 ? 'incomplete' : 'complete',
  };
};

/**
 * A Python server: its own wheel as the application, every other locked wheel a `library`. pip
 * installed exactly these wheels (--require-hashes --no-deps), so the list is complete. The lock
 * records no edges between wheels, so the server depends on each of them directly; no edge is
 * guessed from the wheels' metadata.
 */
const pypiPart = (server: PypiSbomServer): ServerPart => {
  const ref = serverRef(server.id);
  const own = ownWheel(server.name, server.wheels);
  const wheelComponent = (type: CdxComponent['type'], bomRef: string, w: PypiWheel) => ({
    type,
    'bom-ref': bomRef,
    name: w.name,
    version: w.version,
    purl: pypiPurl(w.name, w.version),
    hashes: [{ alg: 'SHA-256' as const, content: w.sha256 }],
    properties: [{ name: 'toolgate:wheel', value: w.file }],
  });
  const app: CdxComponent = own
    ? wheelComponent('application', ref, { ...own, name: server.name, version: server.version })
    : {
        type: 'application',
        'bom-ref': ref,
        name: server.name,
        version: server.version,
        purl: pypiPurl(server.name, server.version),
      };
  app.properties = [
    ...properties(server, 'store'),
    { name: 'toolgate:python', value: server.python },
    ...(app.properties ?? []),
  ];
  const libraries = server.wheels
    .filter((w) => w !== own)
    .map((w) => wheelComponent('library', packageRef(server.id, pypiPurl(w.name, w.version)), w));
  if (libraries.length > 0) app.components = libraries;
  const dependsOn = libraries.map((l) => l['bom-ref']).sort();
  return {
    app,
    dependencies: [{ ref, dependsOn }, ...dependsOn.map((d) => ({ ref: d, dependsOn: [] }))],
    aggregate: server.unreadable.length > 0 ? 'incomplete' : 'complete',
  };
};

/**
 * Builds the SBOM: one `application` component per server (its npm package or its Python wheel),
 * its dependencies nested as `library` components, the dependency graph, and per server whether
 * its dependency list is complete.
 */
export const buildSbom = (input: SbomInput): CdxBom => {
  const components: CdxComponent[] = [];
  const dependencies: CdxBom['dependencies'] = [];
  const byAggregate: Record<Aggregate, string[]> = { complete: [], incomplete: [], unknown: [] };
  for (const server of [...input.servers].sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  )) {
    const part = server.kind === 'npm' ? npmPart(server) : pypiPart(server);
    components.push(part.app);
    dependencies.push(...part.dependencies);
    byAggregate[part.aggregate].push(part.app['bom-ref']);
  }
  const compositions = (['complete', 'incomplete', 'unknown'] as const)
    .filter((aggregate) => byAggregate[aggregate].length > 0)
    .map((aggregate) => ({ aggregate, assemblies: byAggregate[aggregate] }));
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
