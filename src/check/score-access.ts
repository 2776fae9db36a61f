import type { Config } from '../config/schema.js';
import { fail, pass, warn, type Finding } from './findings.js';
import type { CheckInput } from './types.js';

const POLICY_FIX =
  'policy: { files: [toolgate.cedar] }   # permit per agent or group, per tool (docs/policy.md); `toolgate policy test` checks it';

/** Who is calling: bearer credentials on the HTTP front, the named stdio agent, the front's reach. */
const scoreCallers = (config: Config): Finding[] => {
  const { auth, agents, http } = config;
  const out: Finding[] = [];
  const exposed = [...http.allowedHosts, ...http.allowedOrigins];
  if (auth !== undefined) {
    const how = [
      ...(auth.jwt ? [`JWTs from ${auth.jwt.issuer} for ${auth.jwt.audience}`] : []),
      ...(auth.apiKeys.length > 0 ? [`${auth.apiKeys.length} API key(s) stored as SHA-256`] : []),
    ];
    out.push(pass(`auth: toolgate serve refuses a caller without a valid ${how.join(' or ')}`));
  } else if (exposed.length > 0)
    out.push(
      fail(
        `http accepts non-loopback hosts/origins (${exposed.join(', ')}) and auth: is absent — every caller that reaches it is the same anonymous agent`,
        'auth: { jwt: { issuer: https://idp.example.com, audience: https://toolgate.example.com/mcp, jwks: https://idp.example.com/jwks.json } }',
      ),
    );
  else
    out.push(
      warn(
        'auth: absent — stdio and loopback-only serve work, but callers are not told apart (serve refuses other addresses without --insecure-no-auth)',
        'auth: { apiKeys: [{ id: agent-name, sha256: <sha256 of the key> }] }   # or jwt: { issuer, audience, jwks }',
      ),
    );
  const ids = Object.keys(agents);
  const stdio = ids.find((id) => agents[id]?.stdio);
  if (ids.length > 0)
    out.push(
      pass(
        `agents: ${ids.length} (${ids.join(', ')})${stdio ? `; the stdio front runs as ${stdio}` : ''}`,
      ),
    );
  return out;
};

/** What a caller may do: Cedar policies, information-flow rules and their labels, rate limits. */
const scoreRules = (config: Config): Finding[] => {
  const { policy, flows, rateLimits } = config;
  const out: Finding[] = [
    policy
      ? pass(`policy: ${policy.files.join(', ')} — Cedar, deny by default for every agent`)
      : warn('policy: absent — every caller gets the same allowlists, whoever it is', POLICY_FIX),
  ];
  const off = (['privateUntrustedSink', 'privateValueInSink'] as const).filter(
    (k) => flows[k] === 'off',
  );
  const labelled = Object.entries(config.servers).filter(
    ([, s]) => Object.keys(s.labels).length > 0,
  );
  if (off.length > 0)
    out.push(
      warn(
        `flows: ${off.join(', ')} off — private data can leave through a sink without a human asked`,
        `flows: { ${off.map((k) => `${k}: ask`).join(', ')} }`,
      ),
    );
  else if (labelled.length === 0 && !flows.inferLabels)
    out.push(
      warn(
        'flows: on, but no tool is labelled private, untrusted or sink, so the flow rules never fire',
        'servers.<id>.labels: { read_file: [private], fetch: [untrusted], send: [sink] }   # or flows: { inferLabels: true }',
      ),
    );
  else
    out.push(
      pass(
        `flows: asks before a sink call after private and untrusted data (labels on ${labelled.map(([id]) => id).join(', ') || 'no server'}${flows.inferLabels ? ', inferred for the rest' : ''})`,
      ),
    );
  const buckets = (['perAgent', 'perTool'] as const).filter((k) => rateLimits[k] !== undefined);
  out.push(
    buckets.length > 0
      ? pass(`rateLimits: ${buckets.join(', ')}`)
      : warn(
          'rateLimits: none — one agent can call as fast as the servers answer',
          'rateLimits: { perAgent: { capacity: 60, refillPerSecond: 1 } }',
        ),
  );
  return out;
};

/** Item 11: who may call (authentication, agents) and what each may do (policy, flows, rates). */
export const scoreAccess = ({ config }: CheckInput): Finding[] => {
  const out = [...scoreCallers(config), ...scoreRules(config)];
  for (const [id, server] of Object.entries(config.servers)) {
    const allowed = (['sampling', 'elicitation', 'roots'] as const).filter((k) => server.allow[k]);
    if (allowed.length > 0)
      out.push(pass(`servers.${id} may ask the client for ${allowed.join(', ')}`));
  }
  return out;
};
