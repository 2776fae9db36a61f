import {
  isContainerServer,
  isStdioServer,
  limitsOf,
  type Config,
  type ServerConfig,
} from '../config/schema.js';
import { CHECK_ITEMS, type CheckInput, type CheckItemId, type CheckResult } from './types.js';
import { fail, pass, toResult, warn, type Finding } from './findings.js';
import { scoreSignatures, scoreUpdatePolicy } from './score-lock.js';
import { scoreAccess } from './score-access.js';
import { scoreAdvisories } from './score-advisories.js';
import { scoreAudit } from './score-operations.js';
import { scoreRedTeam } from './score-redteam.js';

const entries = (config: Config): Array<[string, ServerConfig]> => Object.entries(config.servers);

const scoreAllowlists = ({ config }: CheckInput): Finding[] =>
  entries(config).flatMap(([id, server]) =>
    (['tools', 'prompts', 'resources'] as const).map((kind) => {
      const list = server[kind];
      if (list.includes('*'))
        return fail(
          `servers.${id}.${kind}: ["*"] lets every ${kind.slice(0, -1)} the server offers through, new ones included`,
          `servers.${id}.${kind}: [name1, name2]   # the exact names the agent needs`,
        );
      return pass(
        `servers.${id}.${kind}: ${list.length === 0 ? 'none allowed' : `${list.length} exact name(s)`}`,
      );
    }),
  );

const scoreSandboxes = ({ config, environment }: CheckInput): Finding[] =>
  entries(config).map(([id, server]) => {
    if (isContainerServer(server))
      return pass(
        `servers.${id}: container (${server.engine}) as ${server.user}, read-only root, capabilities dropped`,
      );
    if (!isStdioServer(server))
      return warn(
        `servers.${id}: remote (${server.url}): it runs outside toolgate, which cannot sandbox it`,
        `run servers.${id} as a stdio server or an image under toolgate, or isolate it where it runs`,
      );
    if (server.sandbox === false)
      return fail(
        `servers.${id}: sandbox: false — runs unsandboxed as the gateway's user, with its files and network`,
        `servers.${id}.sandbox: { readOnly: [], writable: [] }   # replace "sandbox: false"; bind only what it needs`,
      );
    if (!environment.sandbox.ok)
      return fail(
        `servers.${id}: sandboxed, but this host cannot build the sandbox: ${environment.sandbox.reason}`,
        environment.sandbox.reason,
      );
    if (!server.sandbox.seccomp)
      return warn(
        `servers.${id}: bubblewrap (${environment.sandbox.bwrap}) without the seccomp filter`,
        `servers.${id}.sandbox.seccomp: true`,
      );
    return pass(
      `servers.${id}: bubblewrap (${environment.sandbox.bwrap}), read-only root, seccomp, writable: ${server.sandbox.writable.length === 0 ? 'none' : server.sandbox.writable.join(', ')}`,
    );
  });

/** Ceilings above which a limit no longer protects much (a 64 MiB message, a ten-minute call). */
const GENEROUS = {
  maxMessageBytes: 16 * 1024 * 1024,
  callTimeoutMs: 600_000,
  maxConcurrentCalls: 256,
} as const;

const scoreLimits = ({ config }: CheckInput): Finding[] =>
  entries(config).flatMap(([id, server]) => {
    const limits = limitsOf(config, server);
    const message = `servers.${id}: messages ≤ ${limits.maxMessageBytes} B, depth ≤ ${limits.maxDepth}, calls ≤ ${limits.callTimeoutMs} ms, ≤ ${limits.maxConcurrentCalls} in flight`;
    const over = (Object.keys(GENEROUS) as Array<keyof typeof GENEROUS>).filter(
      (k) => limits[k] > GENEROUS[k],
    );
    const out: Finding[] = [
      over.length > 0
        ? warn(
            `${message} (generous: ${over.join(', ')})`,
            `servers.${id}.limits: { ${over.map((k) => `${k}: ${GENEROUS[k]}`).join(', ')} }`,
          )
        : pass(message),
    ];
    if (isContainerServer(server))
      out.push(
        pass(
          `servers.${id}: container memory ${server.memoryMb} MiB, ${server.cpus} CPU, ${server.pids} pids`,
        ),
      );
    else if (isStdioServer(server))
      out.push(
        server.sandbox === false
          ? fail(
              `servers.${id}: unsandboxed, so no memory, CPU, process or file-size limits`,
              `servers.${id}.sandbox: { memoryMb: 4096, cpuSeconds: 3600, processes: 512 }   # replace "sandbox: false"`,
            )
          : pass(
              `servers.${id}: rlimits memory ${server.sandbox.memoryMb} MiB, CPU ${server.sandbox.cpuSeconds} s, ${server.sandbox.processes} processes, files ${server.sandbox.fileSizeMb} MiB`,
            ),
      );
    return out;
  });

/** Names that usually carry a credential; a false positive only costs a warning. */
const CREDENTIAL_NAME =
  /token|secret|passw|api[-_]?key|private[-_]?key|credential|^authorization$|cookie/i;

const scoreCredentials = ({ config }: CheckInput): Finding[] => {
  const out = entries(config).flatMap(([id, server]): Finding[] => {
    const plain =
      isStdioServer(server) || isContainerServer(server)
        ? Object.keys(server.env).filter((k) => CREDENTIAL_NAME.test(k))
        : Object.keys(server.headers).filter((k) => CREDENTIAL_NAME.test(k));
    const field = isStdioServer(server) || isContainerServer(server) ? 'env' : 'headers';
    const secretField = field === 'env' ? 'secrets' : 'secretHeaders';
    const declared = Object.keys(
      field === 'env' && 'secrets' in server
        ? server.secrets
        : 'secretHeaders' in server
          ? server.secretHeaders
          : {},
    );
    const found = plain.map((name) =>
      warn(
        `servers.${id}.${field}.${name}: a credential written in the config file`,
        `servers.${id}.${secretField}: { ${name}: { env: ${name.toUpperCase().replace(/-/g, '_')} } }   # and delete ${field}.${name}`,
      ),
    );
    if (declared.length > 0)
      found.push(
        pass(
          `servers.${id}: ${declared.length} secret(s) (${declared.join(', ')}) resolved at start, given to this server only`,
        ),
      );
    return found;
  });
  if (!config.content.secrets.formats)
    out.push(
      warn(
        'content.secrets.formats: false — credential-shaped strings are neither redacted nor refused in arguments',
        'content: { secrets: { formats: true } }',
      ),
    );
  if (out.length === 0)
    out.push(pass('no credential in plain config; no server has secrets to scope'));
  return out;
};

const isLoopback = (url: string): boolean => /^https?:\/\/(127\.|localhost[:/]|\[::1\])/.test(url);

const scoreNetwork = ({ config, environment }: CheckInput): Finding[] =>
  entries(config).map(([id, server]) => {
    if (isContainerServer(server)) return pass(`servers.${id}: container with --network none`);
    if (!isStdioServer(server))
      return server.url.startsWith('http:') && !isLoopback(server.url)
        ? warn(
            `servers.${id}: plain HTTP to a remote host (${server.url}): readable and alterable on the way`,
            `servers.${id}.url: ${server.url.replace(/^http:/, 'https:')}`,
          )
        : pass(`servers.${id}: remote at ${server.url}`);
    if (server.sandbox === false)
      return fail(
        `servers.${id}: unsandboxed: the host's whole network, loopback and cloud metadata included`,
        `servers.${id}.sandbox: {}   # replace "sandbox: false"; then egress: { allow: [api.example.com] }`,
      );
    if (!environment.sandbox.ok)
      return fail(
        `servers.${id}: no network namespace can be built here: ${environment.sandbox.reason}`,
        environment.sandbox.reason,
      );
    const { allow, allowPrivate, ports } = server.egress;
    if (allowPrivate.length > 0)
      return warn(
        `servers.${id}: egress may reach private/loopback/metadata addresses through ${allowPrivate.join(', ')}`,
        `servers.${id}.egress.allowPrivate: []   # unless that internal host is truly needed`,
      );
    return pass(
      `servers.${id}: own network namespace; ${allow.length === 0 ? 'no egress' : `egress only through the proxy to ${allow.join(', ')} (ports ${ports.join(', ')})`}`,
    );
  });

const scoreOutput = ({ config }: CheckInput): Finding[] => {
  const { output, sanitize, detect } = config.content;
  const out: Finding[] = [
    pass(
      `results checked against outputSchema; ≤ ${output.maxBytes} B, depth ≤ ${output.maxDepth}, ≤ ${output.maxItems} items`,
    ),
    pass(`hidden characters: ${sanitize.mode}`),
  ];
  if (output.allowSchemes.length > 0)
    out.push(
      warn(
        `content.output.allowSchemes: ${output.allowSchemes.join(', ')} — resource links with these schemes reach the agent`,
        'content: { output: { allowSchemes: [] } }',
      ),
    );
  if (!detect.enabled)
    out.push(
      warn(
        'content.detect.enabled: false — injected outputs and poisoned definitions are not detected',
        'content: { detect: { enabled: true } }',
      ),
    );
  else {
    const weak = (
      ['definitions', 'instructions', 'toolResults', 'serverRequests', 'arguments'] as const
    ).filter((k) => detect[k] === 'warn');
    out.push(
      weak.length > 0
        ? warn(
            `detector on, but only warns on ${weak.join(', ')}`,
            `content: { detect: { ${weak.map((k) => `${k}: block`).join(', ')} } }`,
          )
        : pass(
            `detector on: blocks at score ${detect.blockAt} on definitions, instructions, tool results, server requests and arguments`,
          ),
    );
  }
  return out;
};

const SCORERS = {
  allowlisting: scoreAllowlists,
  'signature-verification': scoreSignatures,
  sandboxing: scoreSandboxes,
  'resource-limits': scoreLimits,
  'credential-scoping': scoreCredentials,
  'network-isolation': scoreNetwork,
  'output-validation': scoreOutput,
  'audit-logging': scoreAudit,
  'sbom-dependency-scanning': scoreAdvisories,
  'update-policy': scoreUpdatePolicy,
  'access-control': scoreAccess,
  'red-team-testing': scoreRedTeam,
} as const satisfies Record<CheckItemId, (input: CheckInput) => Finding[]>;

/**
 * Scores a deployment against the 12-point checklist. Pure: the config, the lock and the probed
 * environment come in, one result per item comes out, in the checklist's order.
 * @example scoreDeployment({ config, configPath, lock: { kind: 'absent', path }, environment }).filter((r) => r.verdict === 'fail')
 */
export const scoreDeployment = (input: CheckInput): CheckResult[] =>
  CHECK_ITEMS.map(([id, title]) => toResult(id, title, SCORERS[id](input)));
