import { z } from 'zod';
import { LockError } from '../errors.js';
import { hashItem, ITEM_KIND_NAMES } from './hash.js';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256');
const Json = z.record(z.string(), z.unknown());

// untrusted: a lock arrives in pull requests. The fields that become host paths at run (the store
// entry's name, the bin it runs, the interpreter) are confined by their shape: no separator, no `..`
// segment, no absolute path that would lead the spawn out of the package store (PKG-15).
const NpmName = z
  .string()
  .regex(/^(?:@[^./\s\\][^/\s\\]*\/)?[^./\s\\][^/\s\\]*$/, 'an npm package name');
const NpmVersion = z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+-]*$/, 'one exact version');
const RelativePath = z
  .string()
  .regex(
    /^(?![/\\])(?!(?:.*[/\\])?\.\.(?:[/\\]|$))[^\0]+$/,
    'a relative path inside the package (no `..`, not absolute)',
  );
const PypiName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a PyPI project name');
const PypiVersion = z.string().regex(/^[0-9][0-9A-Za-z.+!-]*$/, 'one exact version');
const FileName = z.string().regex(/^(?!\.\.?$)[^/\\\0]+$/, 'a file name (no folder)');
const WheelFile = z
  .string()
  .regex(
    /^[A-Za-z0-9_.]+-[A-Za-z0-9_.!+]+(-[A-Za-z0-9_.]+){3,4}\.whl$/,
    'a wheel file name (PEP 427)',
  );

const Item = z
  .strictObject({
    sha256: Sha256.describe('SHA-256 of the RFC 8785 canonical JSON of `definition`.'),
    definition: Json.describe(
      'The whole item as the server listed it (name, description, schemas, annotations, _meta).',
    ),
  })
  .describe('One pinned tool, prompt, resource or resource template.');

const Provenance = z
  .strictObject({
    predicateType: z.string().describe('in-toto predicate type of the verified attestation.'),
    subjectDigest: z
      .string()
      .describe('sha512 (hex) the attestation names; equals the tarball digest.'),
    subjectAlternativeName: z
      .string()
      .describe('Signer identity in the Fulcio certificate (workflow URI or e-mail).'),
    issuer: z.string().optional().describe('OIDC issuer of the signer identity.'),
    sourceRepository: z
      .string()
      .optional()
      .describe('Source repository named by the build provenance, if any.'),
    workflow: z
      .string()
      .optional()
      .describe('Build workflow named by the build provenance, if any.'),
  })
  .describe(
    'Sigstore attestations verified offline against the pinned trusted root when the lock was made.',
  );

const NpmPackage = z.strictObject({
  kind: z.literal('npm'),
  name: NpmName,
  version: NpmVersion.describe('Exact version.'),
  spec: z
    .string()
    .describe('The spec as configured (may be unpinned when --allow-unpinned resolved it).'),
  launcher: z
    .enum(['store', 'node_modules'])
    .describe(
      'store: an npx/npm exec server, installed by toolgate lock into the managed package store and started from there; node_modules: a script inside an installed package.',
    ),
  integrity: z.string().optional().describe('Registry dist.integrity (sha512 SRI) of the tarball.'),
  installPath: z
    .string()
    .optional()
    .describe('node_modules launches: the installed package directory.'),
  bin: RelativePath.optional().describe(
    'store launches: the bin npx would run, relative to the package.',
  ),
  tree: Sha256.optional().describe(
    'SHA-256 over every file of the installed package (its own node_modules left out), checked before each spawn.',
  ),
  files: z
    .record(z.string(), z.string())
    .optional()
    .describe(
      "The installed package's own files that `tree` digests (relative path → SHA-256, or link and target), so a refused start names the file that differs.",
    ),
  dependencies: Sha256.optional().describe(
    "store launches: SHA-256 over every file of the store entry's node_modules (the package and all its dependencies); with the integrity it names the entry, and it is checked before each spawn.",
  ),
  provenance: z
    .union([Provenance, z.literal('absent')])
    .describe('Verified provenance, or "absent" (registry has none).'),
});
const PypiPackage = z.strictObject({
  kind: z.literal('pypi'),
  name: PypiName,
  version: PypiVersion.describe('Exact version (the configured name==version).'),
  spec: z.string().describe('The package spec as configured for uvx, uv tool run or pipx run.'),
  command: FileName.describe('The console script the launcher would run.'),
  python: z
    .string()
    .regex(/^\//, 'an absolute path')
    .describe('The interpreter (real path) that installed the entry and runs the server.'),
  distributions: z
    .record(WheelFile, Sha256)
    .describe(
      'Every wheel of the dependency tree, by file name, with the SHA-256 the index gave; installed with pip --require-hashes.',
    ),
  tree: Sha256.optional().describe(
    "SHA-256 over every file of the store entry's site folder (all distributions and their console scripts), checked before each spawn.",
  ),
});
const FilePackage = z.strictObject({
  kind: z.literal('file'),
  role: z.enum(['binary', 'script']),
  path: z.string(),
  sha256: Sha256,
  modules: z
    .record(z.string(), Sha256)
    .optional()
    .describe(
      'Scripts: every file reached from the entry by static relative/absolute imports (path → SHA-256), checked before each spawn.',
    ),
  packages: z
    .record(z.string(), Sha256)
    .optional()
    .describe(
      'Scripts: every installed package a reached file imports by name (directory → SHA-256 of its files), checked before each spawn.',
    ),
});
const ImagePackage = z.strictObject({
  kind: z.literal('image'),
  ref: z.string().describe('Image reference with its @sha256 digest.'),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  publicKeySha256: Sha256.optional().describe(
    'SHA-256 of the DER public key the cosign signature was verified with; absent: an unsigned image pinned by digest with --allow-unpinned.',
  ),
});
const RemotePackage = z.strictObject({ kind: z.literal('remote'), url: z.string() });
const LockPackageSchema = z.discriminatedUnion('kind', [
  NpmPackage,
  PypiPackage,
  FilePackage,
  ImagePackage,
  RemotePackage,
]);

const Initialize = z.strictObject({
  sha256: Sha256.describe(
    'SHA-256 of the canonical JSON of {serverInfo, instructions, capabilities}.',
  ),
  serverInfo: Json,
  instructions: z.string().optional(),
  capabilities: Json,
});

const Items = z.record(z.string(), Item).default({});
const LockServerSchema = z.strictObject({
  package: LockPackageSchema,
  arguments: z
    .record(z.string(), z.string())
    .optional()
    .describe(
      'Stdio servers: each argument that named an existing path at lock → the real path it resolved to; a start where one resolves elsewhere, or newly goes through a symlink, is refused. Absent in locks written before toolgate pinned arguments: re-run toolgate lock to pin them.',
    ),
  initialize: Initialize,
  tools: Items,
  prompts: Items,
  resources: Items,
  resourceTemplates: Items,
});

const LockSchema = z
  .strictObject({
    lockfileVersion: z.literal(1),
    servers: z.record(z.string(), LockServerSchema),
  })
  .describe('toolgate.lock: pinned definitions and packages of every configured server.');

export type Lock = z.infer<typeof LockSchema>;
export type LockServer = z.infer<typeof LockServerSchema>;
export type LockPackage = z.infer<typeof LockPackageSchema>;
export type LockItem = z.infer<typeof Item>;
export type InitializeRecord = z.infer<typeof Initialize>;

export const toInitializeRecord = (init: {
  serverInfo: Record<string, unknown>;
  instructions?: string | undefined;
  capabilities: Record<string, unknown>;
}): InitializeRecord => {
  const body = {
    serverInfo: init.serverInfo,
    capabilities: init.capabilities,
    ...(init.instructions !== undefined && { instructions: init.instructions }),
  };
  return { sha256: hashItem(body), ...body };
};

export const toLockItem = (definition: Record<string, unknown>): LockItem => ({
  sha256: hashItem(definition),
  definition,
});

/**
 * Validates a parsed lock and re-hashes every recorded definition: a definition edited by hand
 * without its hash (or the reverse) is refused, so the lock cannot say one thing and pin another.
 */
export const parseLock = (doc: unknown, source = 'toolgate.lock'): Lock => {
  const result = LockSchema.safeParse(doc);
  if (!result.success)
    throw new LockError(
      'LOCK_INVALID',
      `${source} is not a valid lock:\n${z.prettifyError(result.error)}`,
    );
  const lock = result.data;
  for (const [id, server] of Object.entries(lock.servers)) {
    const { sha256: _, ...init } = server.initialize;
    if (hashItem(init) !== server.initialize.sha256)
      throw new LockError(
        'LOCK_TAMPERED',
        `${source}: servers.${id}.initialize does not match its sha256 (edited by hand?)`,
      );
    for (const kind of ITEM_KIND_NAMES)
      for (const [key, item] of Object.entries(server[kind]))
        if (hashItem(item.definition) !== item.sha256)
          throw new LockError(
            'LOCK_TAMPERED',
            `${source}: servers.${id}.${kind}["${key}"] does not match its sha256 (edited by hand?)`,
          );
  }
  return lock;
};

/** Recursively key-sorted copy, so the written lock is stable and diffs stay small. */
const sortKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  return value;
};

/** The lock as written to disk: sorted keys, two-space indent, trailing newline. */
export const toLockText = (lock: Lock): string => JSON.stringify(sortKeys(lock), null, 2) + '\n';

export const emptyLockServer = (pkg: LockPackage, initialize: InitializeRecord): LockServer => ({
  package: pkg,
  initialize,
  tools: {},
  prompts: {},
  resources: {},
  resourceTemplates: {},
});

/** The published JSON Schema of toolgate.lock (schema/toolgate-lock.schema.json). */
export const toLockJsonSchema = (): Record<string, unknown> =>
  z.toJSONSchema(LockSchema, { io: 'input', target: 'draft-2020-12' });
