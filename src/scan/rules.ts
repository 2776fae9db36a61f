import { finding, isToolgate, RULES, safeUrl, scanner } from './rule-kit.js';
import { plainSecrets } from './rule-secrets.js';
import {
  commandsOf,
  containerImageOf,
  isDigestPinned,
  DOWNLOAD_TO_SHELL,
  packageSpecsOf,
  shellScriptOf,
  unpinnedSpecReason,
} from './launch.js';
import { pointerOf, type Finding, type ScanServer } from './types.js';

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
