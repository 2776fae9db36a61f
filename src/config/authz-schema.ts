import { z } from 'zod';

/** Labels a tool can carry for the information-flow rules (docs/policy.md). */
const FlowLabel = z
  .enum(['private', 'untrusted', 'sink', 'destructive'])
  .describe(
    'private: returns data the user would not publish; untrusted: returns content anyone could write; sink: sends data out; destructive: changes or deletes.',
  );

export const ToolLabels = z
  .record(z.string().min(1).max(256), z.array(FlowLabel))
  .default({})
  .describe('Flow labels by tool name (server-local), e.g. { read_file: [private] }.');

const AgentId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$/,
    'agent ids are 1-128 chars of letters, digits and . _ @ : -',
  );

const Agent = z
  .strictObject({
    groups: z
      .array(AgentId)
      .default([])
      .describe('Groups the agent belongs to (Cedar: principal in Toolgate::Group::"name").'),
    stdio: z
      .boolean()
      .default(false)
      .describe('The agent the stdio front runs as (at most one); without one it is "stdio".'),
  })
  .describe('One agent: its groups, and whether it is the stdio front’s agent.');

export const AgentsSchema = z
  .record(AgentId, Agent)
  .default({})
  .refine((agents) => Object.values(agents).filter((a) => a.stdio).length <= 1, {
    message: 'at most one agent may set stdio: true',
  })
  .describe(
    'Agents by id (HTTP: the token subject or API key id; stdio: the one with stdio: true).',
  );

export const PolicySchema = z
  .strictObject({
    files: z
      .array(z.string().min(1))
      .min(1)
      .describe(
        'Cedar policy files (relative to the config), validated at load against the schema.',
      ),
  })
  .describe(
    'Cedar authorization of every list item, call, read and server request; deny by default once set.',
  );

const RuleEffect = z.enum(['ask', 'deny', 'off']);

export const FlowsSchema = z
  .strictObject({
    privateUntrustedSink: RuleEffect.default('ask').describe(
      'A sink call in a session that received both private data and untrusted content.',
    ),
    privateValueInSink: RuleEffect.default('ask').describe(
      'A sink call whose arguments carry a value from a private result (also base64, hex or URL-encoded).',
    ),
    minMatchLength: z
      .number()
      .int()
      .min(8)
      .max(256)
      .default(16)
      .describe('Shortest run of letters and digits from a private result that counts as carried.'),
    inferLabels: z
      .boolean()
      .default(false)
      .describe(
        'Add labels to unlabelled tools from their names and annotations (only ever adds).',
      ),
  })
  .describe('Information-flow rules over what a session has called and received.');

export const ApprovalSchema = z
  .strictObject({
    timeoutMs: z
      .number()
      .int()
      .min(1000)
      .max(3_600_000)
      .default(120_000)
      .describe('How long an approval may take before the call is refused (APPROVAL_TIMEOUT).'),
    queue: z
      .boolean()
      .default(false)
      .describe(
        'A client that cannot be asked waits while an operator answers with `toolgate approvals`; off: FLOW_APPROVAL_REQUIRED at once.',
      ),
    dir: z
      .string()
      .min(1)
      .default('toolgate-approvals')
      .describe(
        'Folder of the approval queue, relative to the config (shared by every process that uses it).',
      ),
  })
  .describe('Human approval of calls a policy or flow rule sends for approval.');

const Bucket = z.strictObject({
  capacity: z.number().int().min(1).max(1_000_000).describe('Burst size: calls allowed at once.'),
  refillPerSecond: z
    .number()
    .positive()
    .max(1_000_000)
    .describe('Calls added back per second, up to the capacity.'),
});

export const RateLimitsSchema = z
  .strictObject({
    perAgent: Bucket.optional().describe(
      'Token bucket over all tool calls, prompt gets and resource reads of one agent (lists are not counted).',
    ),
    perTool: Bucket.optional().describe(
      'Token bucket per agent and tool (each server/tool apart).',
    ),
  })
  .describe('Rate limits; over-limit requests get RATE_LIMITED with a retry hint.');

export type AgentsConfig = z.infer<typeof AgentsSchema>;
export type FlowsConfig = z.infer<typeof FlowsSchema>;
export type BucketConfig = z.infer<typeof Bucket>;

const Scope = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'an OAuth scope token');

export const AuthSchema = z
  .strictObject({
    jwt: z
      .strictObject({
        issuer: z.string().min(1).describe('Exact `iss` every token must carry.'),
        audience: z
          .string()
          .min(1)
          .describe("toolgate's own resource URI (RFC 8707): the `aud` every token must carry."),
        jwks: z
          .string()
          .min(1)
          .describe(
            'The issuer’s JSON Web Key Set: an https URL (fetched, cached, refetched for a new kid) or a file path relative to the config (re-read for a new kid).',
          ),
        groupsClaim: z
          .string()
          .min(1)
          .default('groups')
          .describe(
            'Claim holding the agent’s groups (an array of strings), joined with agents.<sub>.groups.',
          ),
        requiredScopes: z
          .array(Scope)
          .default([])
          .describe(
            'Scopes every token must grant; short of them the answer is 403 insufficient_scope.',
          ),
        clockToleranceSec: z
          .number()
          .int()
          .min(0)
          .max(300)
          .default(30)
          .describe('Allowed clock skew for exp and nbf, in seconds.'),
      })
      .optional()
      .describe('Bearer JWTs from an OAuth 2.1 authorization server, verified against its JWKS.'),
    apiKeys: z
      .array(
        z.strictObject({
          id: AgentId.describe('The agent this key authenticates.'),
          sha256: z
            .string()
            .regex(/^[0-9a-f]{64}$/, 'the lower-case hex SHA-256 of the key')
            .describe('SHA-256 of the key (the key itself is never stored).'),
          groups: z.array(AgentId).default([]).describe('Extra groups of this key’s agent.'),
        }),
      )
      .default([])
      .describe('Static bearer keys for simple setups, stored as SHA-256.'),
  })
  .refine((auth) => auth.jwt !== undefined || auth.apiKeys.length > 0, {
    message: 'auth needs jwt, apiKeys, or both',
  })
  .describe(
    'Who may use `toolgate serve`: with it, nothing on /mcp works without a valid bearer credential.',
  );
export type AuthConfig = z.infer<typeof AuthSchema>;
