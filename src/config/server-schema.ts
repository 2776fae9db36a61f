import { z } from 'zod';
import { ToolLabels } from './authz-schema.js';
import { Limits, Restart } from './limits-schema.js';
import { EGRESS_DEFAULT, Egress, Sandbox, SANDBOX_DEFAULTS } from './sandbox-schema.js';
import { EnvName, SecretSource, Secrets } from './secret-schema.js';

// One upstream server: how it is reached (stdio, container, HTTP) and what of it is exposed.

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
    stateDir: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Writable folder for the server's data, created at start, bound writable in its sandbox and named by TOOLGATE_STATE_DIR (also expanded as ${TOOLGATE_STATE_DIR} in env and args); default for npx servers $XDG_STATE_HOME/toolgate/<server> (~/.local/state/…; /var/lib/toolgate/<server> for root).",
      ),
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

export const ServerSchema = z.union([StdioServer, ContainerServer, HttpServer]);

export type ServerConfig = z.infer<typeof ServerSchema>;
export type StdioServerConfig = z.infer<typeof StdioServer>;
export type HttpServerConfig = z.infer<typeof HttpServer>;
export type ContainerServerConfig = z.infer<typeof ContainerServer>;

export const isStdioServer = (server: ServerConfig): server is StdioServerConfig =>
  'command' in server;
export const isContainerServer = (server: ServerConfig): server is ContainerServerConfig =>
  'image' in server;
