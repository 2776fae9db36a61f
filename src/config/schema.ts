import { z } from 'zod';
import { AdvisoriesSchema } from './advisories-schema.js';
import { AuditSchema } from './audit-schema.js';
import { ContentSchema } from './content-schema.js';
import {
  AgentsSchema,
  ApprovalSchema,
  AuthSchema,
  FlowsSchema,
  PolicySchema,
  RateLimitsSchema,
} from './authz-schema.js';
import { ClusterSchema } from './cluster-schema.js';
import { MetricsSchema } from './metrics-schema.js';
import { DEFAULT_LIMITS, Limits, type LimitsConfig } from './limits-schema.js';
import { ServerSchema, type ServerConfig } from './server-schema.js';

// The config's public face: its parts live in one file per concept, re-exported here so that a
// caller needs only this module.
export { type LimitsConfig } from './limits-schema.js';
export { SANDBOX_DEFAULTS, type EgressConfig, type SandboxConfig } from './sandbox-schema.js';
export { type SecretSourceConfig } from './secret-schema.js';
export {
  isContainerServer,
  isStdioServer,
  type ContainerServerConfig,
  type HttpServerConfig,
  type ServerConfig,
  type StdioServerConfig,
} from './server-schema.js';

/** Server ids become name prefixes, so they must never contain a separator or a URI `+`. */
const ServerId = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,47}$/,
    'server ids are 1-48 chars of a-z, 0-9 and "-", starting alphanumeric',
  )
  .describe('Server id: also the namespace prefix of its tools, prompts and resources.');

const Http = z
  .strictObject({
    allowedHosts: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Extra Host header names accepted besides the loopback names (DNS-rebinding protection).',
      ),
    allowedOrigins: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Extra Origin values accepted besides loopback origins. Requests without Origin are accepted.',
      ),
    maxSessions: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(1000)
      .describe('Most concurrent HTTP sessions.'),
    maxSessionsPerCaller: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(16)
      .describe(
        'Most concurrent HTTP sessions of one caller (one Authorization header, or one address without it).',
      ),
    maxSessionsPerAddress: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(64)
      .describe('Most concurrent HTTP sessions from one remote address, whatever the callers.'),
    bodyTimeoutMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(10_000)
      .describe('A request body not fully received this long after its headers is refused (408).'),
    sessionIdleMs: z
      .number()
      .int()
      .min(1000)
      .default(30 * 60_000)
      .describe('An idle HTTP session is closed after this long.'),
    metrics: MetricsSchema.prefault({}),
  })
  .describe('Streamable HTTP front settings.');

export const ConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path or URL of this JSON Schema, for editors.'),
    version: z.literal(1).default(1).describe('Config format version.'),
    separator: z
      .string()
      .regex(
        /^[_.:/]{1,3}$/,
        'the separator is 1-3 of "_", ".", ":", "/" (never "-", which server ids use)',
      )
      .default('__')
      .describe('Joins server id and item name: "everything__echo".'),
    pageSize: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(100)
      .describe('Items per page of aggregated list results.'),
    lock: z
      .strictObject({
        required: z
          .boolean()
          .default(true)
          .describe(
            'Refuse to start without a lock (toolgate run --no-lock overrides it for one run).',
          ),
        path: z
          .string()
          .min(1)
          .optional()
          .describe('Lock file path, relative to the config; default toolgate.lock beside it.'),
        registry: z
          .url({ protocol: /^https?$/ })
          .optional()
          .describe(
            "Default npm registry for versions, integrities, attestations and store installs; default the .npmrc files' registry, else https://registry.npmjs.org.",
          ),
        store: z
          .string()
          .min(1)
          .optional()
          .describe(
            'Managed package store where toolgate lock installs npx and uvx/pipx servers (path, relative to the config); default $XDG_CACHE_HOME/toolgate/packages (~/.cache/…; /var/cache/toolgate/packages for root).',
          ),
        python: z
          .string()
          .regex(/^\//, 'an absolute path')
          .optional()
          .describe(
            'Python interpreter (with pip) that installs and runs uvx/pipx servers from the store; it must be reachable by the sandbox uid. Default: the first of /usr/bin/python3, /usr/local/bin/python3 that is.',
          ),
        pythonIndex: z
          .url({ protocol: /^https?$/ })
          .optional()
          .describe(
            "Python package index (PEP 503 simple API) for uvx/pipx servers; default pip's own (PIP_INDEX_URL, pip.conf, else https://pypi.org/simple).",
          ),
        trustedRoot: z
          .string()
          .min(1)
          .optional()
          .describe(
            'Pinned Sigstore trusted_root.json (path, relative to the config) used to verify provenance offline.',
          ),
      })
      .default({ required: true })
      .describe('Lockfile pinning of definitions and packages (docs/lockfile.md).'),
    limits: Limits.default({}).describe('Default limits; each server may override them.'),
    http: Http.prefault({}),
    audit: z
      .union([AuditSchema, z.literal(false)]) // this order: a wrong audit section is reported field by field, not as "expected false"
      .prefault({})
      .describe(
        'Tamper-evident audit log, on by default (a JSONL file beside the config, keys created on first run); false turns it off, and every start then warns.',
      ),
    content: ContentSchema.prefault({}),
    auth: AuthSchema.optional(),
    agents: AgentsSchema,
    policy: PolicySchema.optional(),
    flows: FlowsSchema.prefault({}),
    approval: ApprovalSchema.prefault({}),
    rateLimits: RateLimitsSchema.prefault({}),
    cluster: ClusterSchema.optional(),
    advisories: AdvisoriesSchema.optional(),
    servers: z
      .record(ServerId, ServerSchema)
      .refine((servers) => Object.keys(servers).length > 0, 'at least one server is needed')
      .refine(
        (servers) => Object.values(servers).filter((s) => !s.namespace).length <= 1,
        'at most one server may set namespace: false, or unprefixed names would be ambiguous',
      )
      .describe('Upstream MCP servers by id.'),
  })
  .superRefine((config, ctx) => {
    // A waiver for a server that is not there (a typo) would silently waive nothing.
    for (const [i, waiver] of (config.advisories?.waivers ?? []).entries())
      if (waiver.server !== undefined && !Object.hasOwn(config.servers, waiver.server))
        ctx.addIssue({
          code: 'custom',
          path: ['advisories', 'waivers', i, 'server'],
          message: `no server ${waiver.server} in servers`,
        });
  })
  .describe('toolgate gateway configuration (toolgate.yaml).');

export type Config = z.infer<typeof ConfigSchema>;

/** Effective limits of one server: its own, else the gateway defaults, else the built-in ones. */
export const limitsOf = (config: Config, server: ServerConfig): LimitsConfig => {
  const pick = (key: keyof LimitsConfig): number =>
    server.limits[key] ?? config.limits[key] ?? DEFAULT_LIMITS[key];
  return {
    maxMessageBytes: pick('maxMessageBytes'),
    maxDepth: pick('maxDepth'),
    callTimeoutMs: pick('callTimeoutMs'),
    maxConcurrentCalls: pick('maxConcurrentCalls'),
    listTimeoutMs: pick('listTimeoutMs'),
  };
};

/** The published JSON Schema (schema/toolgate.schema.json); a test fails if the file drifts. */
export const toJsonSchema = (): Record<string, unknown> =>
  z.toJSONSchema(ConfigSchema, { io: 'input', target: 'draft-2020-12' });
