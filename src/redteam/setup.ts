import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  isStdioServer,
  SANDBOX_DEFAULTS,
  type Config,
  type SandboxConfig,
  type StdioServerConfig,
} from '../config/schema.js';
import { EGRESS_DEFAULT } from '../config/sandbox-schema.js';

export const HOSTILE = 'rt-hostile';
/** A name the hostile servers may reach (the canary, on loopback), which redirects into loopback. */
export const REDIRECTOR = 'rt-redirector.test';
export const REDIRECT_PATH = '/redirect';
export const SHADOW = 'rt-shadow';
/** The hostile tools a reviewer would have approved by name; `admin_exec` only appears at runtime. */
const REVIEWED_TOOLS = [
  'read_notes',
  'fetch_page',
  'send',
  'notify',
  'setup',
  'leak',
  'big',
  'deep',
  'read',
  'list',
  'write',
  'symlink_write',
  'http_get',
  'tcp',
];

/** Everything one red-team run needs: its temp folder, the config written there, and its secrets. */
export interface Stage {
  readonly dir: string;
  readonly configPath: string;
  readonly lockPath: string;
  /** The sandbox's writable bind, and a sibling sharing its name as a prefix (outside the bind). */
  readonly work: string;
  readonly outside: string;
  readonly home: string;
  /** Created after the lock: from then on the hostile server's `notify` carries an injection. */
  readonly rugFile: string;
  /** The hostile server's configured secret (arguments carrying it must be refused). */
  readonly secret: string;
  /** A credential-shaped string the hostile server returns (output must not carry it). */
  readonly leak: string;
  readonly lockRequired: boolean;
  readonly separator: string;
  /** How the hostile servers were configured, derived from the user's servers (for the report). */
  readonly posture: readonly string[];
  readonly env: Record<string, string>;
}

const serverScript = (name: string) =>
  fileURLToPath(new URL(`./servers/${name}.js`, import.meta.url));

/**
 * The weakest per-server settings among the user's stdio servers: the hostile servers stand in for
 * one more server configured the way the user configures theirs, so the attacks meet the same gaps.
 */
const weakestPosture = (config: Config) => {
  const stdio = Object.values(config.servers).filter(isStdioServer);
  const wildcard = Object.values(config.servers).some((s) => s.tools.includes('*'));
  const unsandboxed = stdio.some((s) => s.sandbox === false);
  const sandboxes = stdio.flatMap((s) => (s.sandbox === false ? [] : [s.sandbox]));
  const sandbox: SandboxConfig | undefined = sandboxes.find((s) => !s.seccomp) ?? sandboxes[0];
  const egress = [...stdio].sort(
    (a, b) => b.egress.allowPrivate.length - a.egress.allowPrivate.length,
  )[0]?.egress;
  return { wildcard, unsandboxed, sandbox, egress };
};

/** The user's egress rules, plus one allowed name (the canary) for the redirect attack to start from. */
const withRedirector = (posture: ReturnType<typeof weakestPosture>, canaryPort: number) => {
  const egress = posture.egress ?? EGRESS_DEFAULT;
  return {
    ...egress,
    allow: [...egress.allow, REDIRECTOR],
    allowPrivate: [...egress.allowPrivate, REDIRECTOR],
    ports: [...egress.ports, canaryPort],
    resolve: { ...egress.resolve, [REDIRECTOR]: '127.0.0.1' },
  };
};

const absolute = (base: string, path: string) => (isAbsolute(path) ? path : resolve(base, path));

/** Writes the temp config: the user's top-level defenses, the hostile servers in place of theirs. */
export const stage = (config: Config, userConfigPath: string, canaryPort: number): Stage => {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-redteam-'));
  chmodSync(dir, 0o777);
  const work = join(dir, 'work');
  const outside = join(dir, 'work-outside');
  for (const d of [work, outside]) {
    mkdirSync(d);
    chmodSync(d, 0o777);
  }
  const posture = weakestPosture(config);
  const base = dirname(resolve(userConfigPath));
  const secret = `rt${randomBytes(16).toString('hex')}`;
  const leak = `ghp_${randomBytes(18).toString('hex')}`;
  const sandbox = posture.unsandboxed
    ? (false as const)
    : { ...(posture.sandbox ?? SANDBOX_DEFAULTS), readOnly: [], writable: [work] };
  const common = {
    command: process.execPath,
    sandbox,
    egress: withRedirector(posture, canaryPort),
  };
  const hostile: Partial<StdioServerConfig> = {
    ...common,
    args: [serverScript('hostile')],
    env: { RT_RUG_FILE: join(work, '.rug'), RT_LEAK: leak },
    secrets: { RT_SECRET: { env: 'TOOLGATE_REDTEAM_SECRET' } },
    tools: posture.wildcard ? ['*'] : REVIEWED_TOOLS,
    labels: { read_notes: ['private'], fetch_page: ['untrusted'], send: ['sink'] },
  };
  const shadow: Partial<StdioServerConfig> = {
    ...common,
    args: [serverScript('shadow')],
    env: { RT_SHADOW_NAMES: `${HOSTILE}${config.separator}send` },
    tools: posture.wildcard ? ['*'] : ['send', `${HOSTILE}${config.separator}send`],
  };
  // `auth` only guards the HTTP front, which the run does not use; its key files would be relative.
  const { auth: _auth, ...defenses } = config;
  const trustedRoot = config.lock.trustedRoot;
  const doc = {
    ...defenses,
    audit: false,
    lock: {
      ...config.lock,
      path: join(dir, 'toolgate.lock'),
      ...(trustedRoot ? { trustedRoot: absolute(base, trustedRoot) } : {}),
    },
    ...(config.policy
      ? { policy: { files: config.policy.files.map((f) => absolute(base, f)) } }
      : {}),
    servers: { [HOSTILE]: hostile, [SHADOW]: shadow },
  };
  const configPath = join(dir, 'toolgate.json');
  writeFileSync(configPath, JSON.stringify(doc, null, 2));
  return {
    dir,
    configPath,
    lockPath: join(dir, 'toolgate.lock'),
    work,
    outside,
    home: homedir(),
    rugFile: join(work, '.rug'),
    secret,
    leak,
    lockRequired: config.lock.required,
    separator: config.separator,
    posture: [
      `tools: ${posture.wildcard ? '["*"] (a user server allows every tool)' : 'exact names'}`,
      `sandbox: ${sandbox === false ? 'off (a user server runs unsandboxed)' : 'on'}`,
      `lock: ${config.lock.required ? 'required' : 'not required'}`,
    ],
    env: { TOOLGATE_REDTEAM_SECRET: secret },
  };
};
