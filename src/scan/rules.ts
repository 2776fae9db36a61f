import { createSecretScanner } from '../secrets/scan.js';
import {
  commandsOf,
  containerImageOf,
  isDigestPinned,
  DOWNLOAD_TO_SHELL,
  packageSpecsOf,
  shellScriptOf,
  unpinnedSpecReason,
} from './launch.js';
import { pointerOf, type Finding, type RuleId, type ScanServer, type Severity } from './types.js';

/** Every rule's fixed description, also the SARIF `tool.driver.rules`. */
export const RULES = {
  'unpinned-package': {
    severity: 'high',
    title: 'Unpinned package spec',
    help: 'A launch command fetches a package by name, tag, range, git or URL spec: whatever is published next runs with your rights (a rug pull).',
  },
  'plain-secret': {
    severity: 'high',
    title: 'Credential in plain config',
    help: 'A credential written in the config is readable by every process and backup that reads the file, and is handed to the server whole.',
  },
  'shell-launch': {
    severity: 'medium',
    title: 'Shell or download-and-run launch',
    help: 'A server started through a shell string (or a download piped to a shell) runs code no lock or review can pin.',
  },
  'plain-http': {
    severity: 'high',
    title: 'Plain-HTTP remote server',
    help: 'A remote server over plain HTTP can be read and rewritten on the way: tool definitions, results and credentials.',
  },
  'no-sandbox': {
    severity: 'medium',
    title: 'Server runs unsandboxed',
    help: "A local server with no sandbox has your user's files, network and credentials.",
  },
  'broad-allowlist': {
    severity: 'medium',
    title: 'Over-broad allowlist',
    help: 'An allowlist of "*" lets through every item the server lists now or later, including ones it adds after review.',
  },
  'shared-tool-name': {
    severity: 'medium',
    title: 'Servers share a tool name',
    help: "Two servers offering the same tool name let one shadow the other in the model's choice (cross-server shadowing).",
  },
} as const satisfies Record<RuleId, { severity: Severity; title: string; help: string }>;

const scanner = createSecretScanner([]);

const finding = (
  server: ScanServer,
  rule: RuleId,
  at: string,
  message: string,
  fix: string,
  severity: Severity = RULES[rule].severity,
): Finding => ({
  rule,
  severity,
  server: server.name,
  location: { file: server.file, pointer: server.pointer + at },
  message,
  fix,
});

const isToolgate = (s: ScanServer): boolean => s.source === 'toolgate';

/** A git or URL spec may carry a token (`https://user:token@host/…`): findings show the spec without it. */
const withoutCredentials = (text: string): string =>
  scanner.redact(text.replace(/\/\/[^/@\s"]+@/g, '//[REDACTED]@')).text;

/** Unpinned npx/uvx/pipx specs in the launch command (or inside its shell script), and container images without a digest. */
const unpinnedPackages = (server: ScanServer): Finding[] => {
  const out: Finding[] = [];
  if (server.command !== undefined) {
    const launches = [
      ...packageSpecsOf(server.command, server.args).map((p) => ({
        p,
        at: pointerOf('args', p.argIndex),
      })),
    ];
    const shell = shellScriptOf(server.command, server.args);
    if (shell)
      for (const words of commandsOf(shell.script))
        for (const p of packageSpecsOf(words[0] ?? '', words.slice(1)))
          launches.push({ p, at: pointerOf('args', shell.argIndex) });
    for (const { p, at } of launches) {
      const reason = unpinnedSpecReason(p);
      if (reason)
        out.push(
          finding(
            server,
            'unpinned-package',
            at,
            `${p.launcher} spec ${withoutCredentials(reason)}`,
            p.ecosystem === 'npm'
              ? 'pin one exact version (name@1.2.3) and lock it with `toolgate lock`'
              : 'pin one exact version (name==1.2.3)',
          ),
        );
    }
  }
  const run =
    server.command !== undefined ? containerImageOf(server.command, server.args) : undefined;
  if (run && !isDigestPinned(run.image))
    out.push(
      finding(
        server,
        'unpinned-package',
        pointerOf('args', run.argIndex),
        `image "${run.image}" is not pinned by digest (a tag moves)`,
        'pin the image as name@sha256:<digest>',
      ),
    );
  if (server.image !== undefined && !isDigestPinned(server.image))
    out.push(
      finding(
        server,
        'unpinned-package',
        pointerOf('image'),
        `image "${server.image}" is not pinned by digest (a tag moves)`,
        'pin the image as name@sha256:<digest> and set pin.image with its cosign key',
      ),
    );
  return out;
};

/** A placeholder the client or toolgate fills in at start (`${env:X}`, `${input:x}`, `$X`, `{{x}}`), not a literal credential. */
const REFERENCE = /\$\{[^}]+\}|^\$[A-Za-z_][A-Za-z0-9_]*$|\{\{[^}]+\}\}|^<[^>]+>$/;
const CREDENTIAL_NAME =
  /(^|[_-])(token|secret|password|passwd|passphrase|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|auth|authorization|cookie|bearer|pat)([_-]|$)/i;
/** Keys that name where a credential is (`TOKEN_FILE`, `AUTH_URL`) or what kind it is, not the credential itself. */
const NOT_A_VALUE = /[_-]?(file|path|dir|env|var|url|uri|name|type|mode|id|header|endpoint)$/i;
const PLACEHOLDER_VALUE = /^(your|my|change[_-]?me|replace|placeholder|example|xxx|todo|<|\*+$)/i;

/** Literal credentials in env, headers, args and the URL: known formats anywhere, and credential-named keys with a literal value. */
const plainSecrets = (server: ScanServer): Finding[] => {
  const out: Finding[] = [];
  const fix = isToolgate(server)
    ? 'move it to `secrets:` (stdio, container) or `secretHeaders:` (HTTP), read from the environment, a file or a command, and rotate it'
    : 'reference it instead (VS Code `${input:…}`/`${env:…}`, or run the server behind toolgate with `secrets:`), and rotate it';
  const check = (where: string, at: string, key: string | undefined, value: string): void => {
    const rules = [...new Set(scanner.scan(value).map((h) => h.rule))];
    if (rules.length > 0) {
      out.push(
        finding(
          server,
          'plain-secret',
          at,
          `${where} holds a credential (${rules.join(', ')}) in plain text`,
          fix,
        ),
      );
      return;
    }
    const bare = value.replace(/^(bearer|basic|token)\s+/i, '');
    if (
      key !== undefined &&
      CREDENTIAL_NAME.test(key) &&
      !NOT_A_VALUE.test(key) &&
      bare.length >= 8 &&
      !REFERENCE.test(value) &&
      !PLACEHOLDER_VALUE.test(bare) &&
      !/^[~./]/.test(bare)
    )
      out.push(
        finding(
          server,
          'plain-secret',
          at,
          `${where} looks like a credential written in plain text`,
          fix,
          'medium',
        ),
      );
  };
  for (const [k, v] of Object.entries(server.env)) check(`env ${k}`, pointerOf('env', k), k, v);
  for (const [k, v] of Object.entries(server.headers))
    check(`header ${k}`, pointerOf('headers', k), k, v);
  server.args.forEach((a, i) => {
    const flag =
      /^--?([A-Za-z][\w-]*)=/.exec(a)?.[1] ??
      /^--?([A-Za-z][\w-]*)$/.exec(server.args[i - 1] ?? '')?.[1];
    check(`argument ${i}`, pointerOf('args', i), flag, a.replace(/^--?[\w-]+=/, ''));
  });
  if (server.url !== undefined) {
    check('the URL', pointerOf(server.urlKey ?? 'url'), undefined, server.url);
    const url = safeUrl(server.url);
    const literal = (v: string): boolean =>
      v.length >= 8 && !REFERENCE.test(v) && !PLACEHOLDER_VALUE.test(v);
    if (
      (url?.password && literal(url.password)) ||
      [...(url?.searchParams.entries() ?? [])].some(
        ([k, v]) => CREDENTIAL_NAME.test(k) && !NOT_A_VALUE.test(k) && literal(v),
      )
    )
      if (!out.some((f) => f.location.pointer.endsWith(pointerOf(server.urlKey ?? 'url'))))
        out.push(
          finding(
            server,
            'plain-secret',
            pointerOf(server.urlKey ?? 'url'),
            'the URL carries a credential (user info or a token parameter)',
            fix,
          ),
        );
  }
  return out;
};

/** Shell-string launches, and downloads piped to a shell (the worst: nothing pins what runs). */
const shellLaunches = (server: ScanServer): Finding[] => {
  if (server.command === undefined) return [];
  const shell = shellScriptOf(server.command, server.args);
  const whole = [server.command, ...server.args].join(' ');
  if (DOWNLOAD_TO_SHELL.test(shell?.script ?? whole))
    return [
      finding(
        server,
        'shell-launch',
        shell ? pointerOf('args', shell.argIndex) : pointerOf('command'),
        'the launch downloads a script and pipes it to a shell',
        'install a pinned, verified package and run its binary directly',
        'high',
      ),
    ];
  if (shell)
    return [
      finding(
        server,
        'shell-launch',
        pointerOf('args', shell.argIndex),
        `the server is started through \`${shell.shell}\` with a script`,
        "run the server's executable directly with its arguments, no shell",
      ),
    ];
  return [];
};

const LOOPBACK = /^(localhost|.*\.localhost|127(\.\d{1,3}){3}|\[::1\]|::1)$/i;
const safeUrl = (text: string): URL | undefined => {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
};

/** Remote servers (the URL field, or a URL argument such as mcp-remote's) over plain HTTP to a non-loopback host. */
const plainHttp = (server: ScanServer): Finding[] => {
  const out: Finding[] = [];
  const check = (text: string, at: string): void => {
    const url = safeUrl(text);
    if (url?.protocol === 'http:' && !LOOPBACK.test(url.hostname))
      out.push(
        finding(
          server,
          'plain-http',
          at,
          `remote server ${url.host} is reached over plain HTTP`,
          'use https:// (or a loopback address for a local server)',
        ),
      );
  };
  if (server.url !== undefined) check(server.url, pointerOf(server.urlKey ?? 'url'));
  server.args.forEach((a, i) => a.startsWith('http://') && check(a, pointerOf('args', i)));
  return out;
};

/** Local processes with no sandbox: every server a client starts itself, and toolgate's `sandbox: false`. */
const noSandbox = (server: ScanServer): Finding[] => {
  if (!server.unsandboxed) return [];
  return isToolgate(server)
    ? [
        finding(
          server,
          'no-sandbox',
          pointerOf('sandbox'),
          "sandbox: false runs the server with the gateway's rights",
          'remove `sandbox: false` (bind only the paths it needs with sandbox.readOnly / writable)',
          'high',
        ),
      ]
    : [
        finding(
          server,
          'no-sandbox',
          pointerOf('command'),
          "the client starts this server unsandboxed, with your user's rights",
          'run it behind toolgate, which sandboxes every stdio server (docs/sandbox.md)',
        ),
      ];
};

/** `"*"` allowlists in a toolgate config: tools matter most (they act), prompts and resources less. */
const broadAllowlists = (server: ScanServer): Finding[] =>
  (['tools', 'prompts', 'resources'] as const)
    .filter((kind) => server.allow?.[kind].includes('*'))
    .map((kind) =>
      finding(
        server,
        'broad-allowlist',
        pointerOf(kind),
        `${kind}: ["*"] allows every ${kind.slice(0, -1)} the server lists, now or after an update`,
        `list the ${kind} this deployment needs by exact name`,
        kind === 'tools' ? 'medium' : 'low',
      ),
    );

/** Per-server rules, in report order. */
const SERVER_RULES = [
  unpinnedPackages,
  plainSecrets,
  shellLaunches,
  plainHttp,
  noSandbox,
  broadAllowlists,
] as const;

export const scanServer = (server: ScanServer): Finding[] =>
  SERVER_RULES.flatMap((rule) => rule(server));

/** Tools each server offered when locked: lock key → the tool's name. */
export interface LockedTools {
  readonly file: string;
  readonly servers: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** Tool names offered by more than one locked server (without namespacing the model sees the same name twice; with it, near-identical ones). */
export const sharedToolNames = (lock: LockedTools): Finding[] => {
  const owners = new Map<string, { server: string; key: string }[]>();
  for (const [server, tools] of Object.entries(lock.servers))
    for (const [key, name] of Object.entries(tools))
      owners.set(name, [...(owners.get(name) ?? []), { server, key }]);
  return [...owners.entries()]
    .filter(([, list]) => new Set(list.map((o) => o.server)).size > 1)
    .flatMap(([name, list]) =>
      list.map(({ server, key }) => ({
        rule: 'shared-tool-name' as const,
        severity: RULES['shared-tool-name'].severity,
        server,
        location: { file: lock.file, pointer: pointerOf('servers', server, 'tools', key) },
        message: `tool ${JSON.stringify(name)} is also offered by ${list
          .filter((o) => o.server !== server)
          .map((o) => o.server)
          .join(', ')}`,
        fix: 'keep namespacing on, allow the tool from one server only, or review both definitions for shadowing instructions',
      })),
    );
};
