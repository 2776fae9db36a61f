import { z } from 'zod';
import { AuditSchema } from './audit-schema.js';
import { ClusterSchema } from './cluster-schema.js';
import { ContentSchema } from './content-schema.js';
import {
  AgentsSchema,
  ApprovalSchema,
  AuthSchema,
  FlowsSchema,
  PolicySchema,
  RateLimitsSchema,
  ToolLabels,
} from './authz-schema.js';

/** Server ids become name prefixes, so they must never contain a separator or a URI `+`. */
const ServerId = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,47}$/,
    'server ids are 1-48 chars of a-z, 0-9 and "-", starting alphanumeric',
  )
  .describe('Server id: also the namespace prefix of its tools, prompts and resources.');

/**
 * An allowlist: exact names, or the explicit wildcard `"*"` alone. Absent or empty allows nothing
 * (deny by default). Unanchored patterns are never accepted.
 */
const Allowlist = (what: string) =>
  z
    .array(z.string().min(1).max(256))
    .default([])
    .refine((list) => !list.includes('*') || list.length === 1, {
      message: `"*" must be the only entry of a ${what} allowlist`,
    })
    .describe(`Allowed ${what}: exact names, or ["*"] for all. Absent or empty = nothing allowed.`);

const Limits = z
  .strictObject({
    maxMessageBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .optional()
      .describe('Largest JSON-RPC message accepted in either direction, in bytes.'),
    maxDepth: z
      .number()
      .int()
      .min(4)
      .max(1000)
      .optional()
      .describe('Deepest JSON nesting accepted in either direction.'),
    callTimeoutMs: z
      .number()
      .int()
      .min(10)
      .max(3_600_000)
      .optional()
      .describe('Wall-clock limit of one upstream request, in milliseconds.'),
    maxConcurrentCalls: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .optional()
      .describe('Most requests in flight to one upstream; more are refused, not queued.'),
    listTimeoutMs: z
      .number()
      .int()
      .min(10)
      .max(600_000)
      .optional()
      .describe(
        'How long an aggregated list (tools, prompts, resources, templates) waits for this server, start included; past it the list answers without the server and the client gets list_changed once the server answers.',
      ),
  })
  .describe('Message and call limits.');

const DEFAULT_LIMITS = {
  maxMessageBytes: 4 * 1024 * 1024,
  maxDepth: 64,
  callTimeoutMs: 60_000,
  maxConcurrentCalls: 32,
  listTimeoutMs: 3_000,
} as const satisfies LimitsConfig;

const Restart = z
  .strictObject({
    maxRetries: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(5)
      .describe('Restarts after a crash before giving up.'),
    initialDelayMs: z
      .number()
      .int()
      .min(10)
      .max(60_000)
      .default(250)
      .describe('First backoff delay.'),
    maxDelayMs: z
      .number()
      .int()
      .min(10)
      .max(600_000)
      .default(30_000)
      .describe('Largest backoff delay.'),
    startTimeoutMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(30_000)
      .describe(
        'How long a (re)start may take, spawn and handshake included, before it counts as failed.',
      ),
  })
  .describe('Restart policy for an upstream that crashes or hangs.');

const ServerRequests = z
  .strictObject({
    sampling: z
      .boolean()
      .default(false)
      .describe('Forward sampling/createMessage from this server to the client.'),
    elicitation: z
      .boolean()
      .default(false)
      .describe('Forward elicitation/create from this server to the client.'),
    roots: z
      .boolean()
      .default(false)
      .describe('Forward roots/list from this server to the client.'),
  })
  .describe('Server-to-client requests this server may make; all denied by default.');

const Protocol = z
  .enum(['auto', '2025-11-25', '2026-07-28'])
  .default('auto')
  .describe('Protocol era towards this upstream: auto-negotiate, or pin one revision.');

const Common = {
  namespace: z
    .boolean()
    .default(true)
    .describe(
      "Prefix this server's names with its id. At most one server may set false: its names pass unprefixed.",
    ),
  tools: Allowlist('tools'),
  labels: ToolLabels,
  prompts: Allowlist('prompts'),
  resources: Allowlist('resources (URIs as the server reports them)'),
  allow: ServerRequests.default({ sampling: false, elicitation: false, roots: false }),
  protocol: Protocol,
  limits: Limits.default({}),
  restart: Restart.default({
    maxRetries: 5,
    initialDelayMs: 250,
    maxDelayMs: 30_000,
    startTimeoutMs: 30_000,
  }),
  pin: z
    .strictObject({
      provenance: z
        .enum(['required', 'if-present', 'off'])
        .default('if-present')
        .describe(
          'npm provenance: required (fail without verified attestations), if-present (verify when the registry has them), off.',
        ),
      identity: z
        .strictObject({
          subjectAlternativeName: z
            .string()
            .min(1)
            .describe(
              'Exact signer identity expected in the Fulcio certificate (workflow URI or e-mail).',
            ),
          issuer: z
            .string()
            .min(1)
            .optional()
            .describe('Exact OIDC issuer expected for that identity.'),
        })
        .optional()
        .describe('Expected signer of the provenance; any other signer is refused.'),
      image: z
        .strictObject({
          ref: z
            .string()
            .regex(
              /^[^\s@]+@sha256:[0-9a-f]{64}$/,
              'an image reference pinned by digest: name@sha256:<64 hex>',
            )
            .describe('Container image pinned by digest.'),
          publicKey: z
            .string()
            .min(1)
            .describe(
              "PEM public key the image's cosign signature must verify with (path, relative to the config).",
            ),
          signature: z
            .string()
            .min(1)
            .describe('Cosign signature bundle of the image (path, relative to the config).'),
        })
        .optional()
        .describe(
          'Container image identity: digest plus a cosign signature verified with a configured key.',
        ),
    })
    .optional()
    .describe('Package identity requirements checked by `toolgate lock` and before every spawn.'),
};

const AbsolutePath = z
  .string()
  .regex(/^\/(?!.*(^|\/)\.\.?(\/|$))/, 'an absolute path without "." or ".." segments');
/** A host path to bind: absolute, or relative to the gateway's working directory; never with ".." segments. */
const BindPath = z
  .string()
  .min(1)
  .regex(/^(?!.*(^|\/)\.\.(\/|$))/, 'a path without ".." segments');
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/);
/** Where a secret comes from: a gateway environment variable, a file, or a command's stdout (vault, keychain CLI). */
const SecretSource = z
  .union([
    z.strictObject({ env: EnvName.describe('Gateway environment variable holding the secret.') }),
    z.strictObject({
      file: AbsolutePath.describe('File holding the secret (trailing newline trimmed).'),
    }),
    z.strictObject({
      command: z
        .array(z.string().min(1))
        .min(1)
        .describe('argv run without a shell; its trimmed stdout is the secret.'),
    }),
  ])
  .describe('Source of one secret: { env }, { file } or { command }.');
const Secrets = z
  .record(EnvName, SecretSource)
  .default({})
  .describe(
    'Secrets injected as environment variables into this server only; redacted from everything it returns.',
  );
const Sandbox = z
  .strictObject({
    readOnly: z
      .array(BindPath)
      .default([])
      .describe(
        'Extra host paths bound read-only (the server package and runtime are bound automatically).',
      ),
    writable: z
      .array(BindPath)
      .default([])
      .describe('Host paths bound read-write; nothing else on the host is writable.'),
    tmpSizeMb: z
      .number()
      .int()
      .min(1)
      .max(4096)
      .default(64)
      .describe('Size cap of each private tmpfs (/tmp, the home, /dev/shm), in MiB.'),
    memoryMb: z
      .number()
      .int()
      .min(256)
      .max(1_048_576)
      .default(4096)
      .describe('Address-space limit (RLIMIT_AS) of the server, in MiB.'),
    cpuSeconds: z
      .number()
      .int()
      .min(1)
      .max(31_536_000)
      .default(3600)
      .describe('CPU time limit (RLIMIT_CPU) of the server process, in seconds.'),
    processes: z
      .number()
      .int()
      .min(16)
      .max(65_536)
      .default(512)
      .describe('Most processes and threads (RLIMIT_NPROC) in the sandbox.'),
    fileSizeMb: z
      .number()
      .int()
      .min(1)
      .max(1_048_576)
      .default(1024)
      .describe('Largest file the server may write (RLIMIT_FSIZE), in MiB.'),
    openFiles: z
      .number()
      .int()
      .min(32)
      .max(1_048_576)
      .default(1024)
      .describe('Most open file descriptors (RLIMIT_NOFILE).'),
    seccomp: z
      .boolean()
      .default(true)
      .describe('Load the seccomp filter that denies dangerous syscalls (ptrace, mount, bpf, …).'),
    uid: z
      .number()
      .int()
      .min(1000)
      .max(0x7fff_fffe)
      .refine(
        (n) => n !== 65534,
        "not 65534 (nobody): host processes running as nobody could read the server's environment",
      )
      .optional()
      .describe(
        'Host uid and gid the sandbox runs as when toolgate runs as root; default: one derived from the server id (524288–1879048191), its own per server.',
      ),
  })
  .describe('Linux bubblewrap sandbox of a stdio server.');
export const SANDBOX_DEFAULTS = Sandbox.parse({});
/**
 * An egress host pattern: an exact host name, or `*.` followed by a domain of at least two labels.
 * Bare `*`, `*.com`-style and partial globs are refused: they would allow nearly everything.
 */
const HostPattern = z
  .string()
  .max(253)
  .regex(
    /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
    'a lower-case host name, or "*." and a domain',
  )
  .refine((p) => !p.startsWith('*.') || p.slice(2).split('.').length >= 2, {
    message:
      'over-broad pattern: "*." must be followed by a domain of at least two labels (e.g. "*.example.com")',
  });
const Egress = z
  .strictObject({
    allow: z
      .array(HostPattern)
      .default([])
      .describe('Host names this server may reach through the egress proxy. Empty = no egress.'),
    allowPrivate: z
      .array(HostPattern)
      .default([])
      .describe(
        'Allowed hosts that may resolve to loopback, private, link-local or metadata addresses (off by default).',
      ),
    ports: z
      .array(z.number().int().min(1).max(65535))
      .default([80, 443])
      .describe('Destination ports allowed.'),
    resolve: z
      .record(z.string().min(1).max(253), z.union([z.ipv4(), z.ipv6()]))
      .default({})
      .describe(
        'Fixed DNS answers (host → IP), like curl --resolve; other names use the system resolver.',
      ),
  })
  .describe(
    "Network egress of a sandboxed server: only through toolgate's proxy, only to these hosts.",
  );
const EGRESS_DEFAULT = { allow: [], allowPrivate: [], ports: [80, 443], resolve: {} };
const StdioServer = z
  .strictObject({
    command: z.string().min(1).describe('Executable of a stdio upstream.'),
    args: z.array(z.string()).default([]).describe('Arguments of the executable.'),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
      .default({})
      .describe(
        'Extra environment for the server; nothing else from the gateway environment but PATH-like basics.',
      ),
    cwd: z.string().optional().describe('Working directory of the server.'),
    sandbox: z
      .union([z.literal(false), Sandbox])
      .default(SANDBOX_DEFAULTS)
      .describe(
        'Sandbox profile (on by default on Linux); false runs the server unsandboxed, logged at every start.',
      ),
    egress: Egress.default(EGRESS_DEFAULT),
    secrets: Secrets,
    ...Common,
  })
  .describe('An upstream MCP server started as a child process, speaking stdio.');

const ContainerServer = z
  .strictObject({
    image: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._/:@-]{0,254}$/)
      .describe('Container image of a stdio server (pin it by digest).'),
    engine: z
      .enum(['docker', 'podman'])
      .default('docker')
      .describe('Container engine to run the image with.'),
    args: z.array(z.string()).default([]).describe('Arguments after the image.'),
    env: z.record(EnvName, z.string()).default({}).describe('Extra environment for the container.'),
    user: z
      .string()
      .regex(/^[0-9]+:[0-9]+$/)
      .default('65534:65534')
      .describe('Non-root uid:gid inside the container.'),
    memoryMb: z
      .number()
      .int()
      .min(64)
      .default(1024)
      .describe('Memory limit of the container, in MiB.'),
    cpus: z.number().min(0.1).max(256).default(1).describe('CPU share of the container.'),
    pids: z
      .number()
      .int()
      .min(8)
      .max(65_536)
      .default(256)
      .describe('Most processes in the container.'),
    egress: Egress.default(EGRESS_DEFAULT),
    secrets: Secrets,
    ...Common,
  })
  .describe('An upstream MCP server run as a container image, speaking stdio.');

const HttpServer = z
  .strictObject({
    url: z.url({ protocol: /^https?$/ }).describe('Streamable HTTP endpoint of the upstream.'),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string())
      .default({})
      .describe(
        'Headers sent to this upstream (its own credentials; the agent token is never forwarded).',
      ),
    secretHeaders: z
      .record(z.string().regex(/^[A-Za-z0-9-]+$/), SecretSource)
      .default({})
      .describe(
        'Headers whose values are secrets (e.g. Authorization), resolved at start and never logged.',
      ),
    ...Common,
  })
  .describe('An upstream MCP server reached over Streamable HTTP.');

const ServerSchema = z.union([StdioServer, ContainerServer, HttpServer]);

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
            'npm registry for metadata and attestations; default https://registry.npmjs.org.',
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
    servers: z
      .record(ServerId, ServerSchema)
      .refine((servers) => Object.keys(servers).length > 0, 'at least one server is needed')
      .refine(
        (servers) => Object.values(servers).filter((s) => !s.namespace).length <= 1,
        'at most one server may set namespace: false, or unprefixed names would be ambiguous',
      )
      .describe('Upstream MCP servers by id.'),
  })
  .describe('toolgate gateway configuration (toolgate.yaml).');

export type Config = z.infer<typeof ConfigSchema>;
export type ServerConfig = z.infer<typeof ServerSchema>;
export type StdioServerConfig = z.infer<typeof StdioServer>;
export type HttpServerConfig = z.infer<typeof HttpServer>;
export type ContainerServerConfig = z.infer<typeof ContainerServer>;
export type SandboxConfig = z.infer<typeof Sandbox>;
export type EgressConfig = z.infer<typeof Egress>;
export type SecretSourceConfig = z.infer<typeof SecretSource>;
export type LimitsConfig = { readonly [K in keyof z.infer<typeof Limits>]-?: number };

export const isStdioServer = (server: ServerConfig): server is StdioServerConfig =>
  'command' in server;
export const isContainerServer = (server: ServerConfig): server is ContainerServerConfig =>
  'image' in server;

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
