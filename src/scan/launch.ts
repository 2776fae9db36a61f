import { unpinnedReason } from '../packages/identify.js';

/** One package a launch command fetches and runs, and the index of its spec in `args`. */
export interface PackageSpec {
  readonly ecosystem: 'npm' | 'pypi';
  readonly launcher: string;
  readonly spec: string;
  readonly argIndex: number;
}

/** `/usr/bin/npx`, `npx.cmd` → `npx`. */
const commandName = (command: string): string =>
  (command.split(/[\\/]/).pop() ?? command).toLowerCase().replace(/\.(cmd|exe|bat|ps1)$/, '');

const NPX_VALUE_FLAGS = new Set([
  '-p',
  '--package',
  '-c',
  '--call',
  '--cache',
  '--registry',
  '--userconfig',
  '-w',
  '--workspace',
]);
const UVX_VALUE_FLAGS = new Set([
  '--from',
  '--with',
  '-w',
  '--with-editable',
  '--with-requirements',
  '-p',
  '--python',
  '--index',
  '--index-url',
  '-i',
  '--extra-index-url',
  '--default-index',
  '--find-links',
  '-f',
  '--directory',
  '--project',
  '--cache-dir',
  '--config-file',
  '--refresh-package',
  '--reinstall-package',
  '--upgrade-package',
  '--constraints',
  '-c',
  '--overrides',
  '--build-constraints',
]);
const PIPX_VALUE_FLAGS = new Set(['--spec', '--python', '--index-url', '-i', '--pip-args']);
const NPX_SPEC_FLAGS = new Set(['-p', '--package']);
const UVX_SPEC_FLAGS = new Set(['--from', '--with', '-w']);
const PIPX_SPEC_FLAGS = new Set(['--spec']);
/** Spec flags that name the package to run (the others add packages beside it). */
const NAMING_FLAGS = new Set(['-p', '--package', '--from', '--spec']);

interface FoundSpec {
  readonly spec: string;
  readonly argIndex: number;
  readonly flag?: string;
}

/**
 * The specs a launcher's own arguments name: values of its spec flags (`-p X`, `--from=X`), then its
 * first positional (the package, or the command to run once a naming flag chose the package).
 */
const scanArgs = (
  args: readonly string[],
  from: number,
  valueFlags: ReadonlySet<string>,
  specFlags: ReadonlySet<string>,
): { specs: FoundSpec[]; positional?: FoundSpec } => {
  const specs: FoundSpec[] = [];
  for (let i = from; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--')
      return args[i + 1] === undefined
        ? { specs }
        : { specs, positional: { spec: args[i + 1] ?? '', argIndex: i + 1 } };
    if (!arg.startsWith('-')) return { specs, positional: { spec: arg, argIndex: i } };
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!valueFlags.has(flag)) continue;
    const value = eq > 0 ? arg.slice(eq + 1) : args[i + 1];
    const argIndex = eq > 0 ? i : i + 1;
    if (eq < 0) i++;
    if (value !== undefined && specFlags.has(flag)) specs.push({ spec: value, argIndex, flag });
  }
  return { specs };
};

/**
 * The packages a launch command fetches from a registry at start: npx, `npm exec`, `pnpm dlx`,
 * `yarn dlx`, bunx; uvx, `uv tool run`, `pipx run`. Anything else fetches nothing itself.
 * @example
 * packageSpecsOf('npx', ['-y', 'pkg@latest']) // [{ ecosystem: 'npm', launcher: 'npx', spec: 'pkg@latest', argIndex: 1 }]
 */
export const packageSpecsOf = (command: string, args: readonly string[]): PackageSpec[] => {
  const name = commandName(command);
  const sub = args[0];
  const launch = (
    ecosystem: PackageSpec['ecosystem'],
    launcher: string,
    from: number,
    valueFlags: ReadonlySet<string>,
    specFlags: ReadonlySet<string>,
  ): PackageSpec[] => {
    const { specs, positional } = scanArgs(args, from, valueFlags, specFlags);
    const named = specs.some((s) => s.flag !== undefined && NAMING_FLAGS.has(s.flag));
    return [...specs, ...(!named && positional ? [positional] : [])].map((s) => ({
      ecosystem,
      launcher,
      spec: s.spec,
      argIndex: s.argIndex,
    }));
  };
  if (name === 'npx' || name === 'bunx')
    return launch('npm', name, 0, NPX_VALUE_FLAGS, NPX_SPEC_FLAGS);
  if ((name === 'pnpm' || name === 'yarn') && sub === 'dlx')
    return launch('npm', `${name} dlx`, 1, NPX_VALUE_FLAGS, NPX_SPEC_FLAGS);
  if (name === 'npm' && (sub === 'exec' || sub === 'x'))
    return launch('npm', 'npm exec', 1, NPX_VALUE_FLAGS, NPX_SPEC_FLAGS);
  if (name === 'uvx') return launch('pypi', 'uvx', 0, UVX_VALUE_FLAGS, UVX_SPEC_FLAGS);
  if (name === 'uv' && sub === 'tool' && args[1] === 'run')
    return launch('pypi', 'uv tool run', 2, UVX_VALUE_FLAGS, UVX_SPEC_FLAGS);
  if (name === 'pipx' && sub === 'run')
    return launch('pypi', 'pipx run', 1, PIPX_VALUE_FLAGS, PIPX_SPEC_FLAGS);
  return [];
};

const EXACT = /^\d+(\.\d+)*([._-]?(a|b|rc|alpha|beta|pre|post|dev)\.?\d*)*(\+[0-9a-z.]+)?$/i;

/** Why a PyPI requirement does not name one exact release, or `undefined` when it does (`name==1.2.3`, uvx's `name@1.2.3`). */
export const unpinnedPypiReason = (spec: string): string | undefined => {
  if (/^(git\+|https?:|file:|\.|\/)/.test(spec) || spec.includes(' @ '))
    return `"${spec}" is a git, URL or path spec, outside the index's integrity`;
  const m = /^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*(==|@)\s*(.+)$/.exec(spec);
  if (!m)
    return /[<>~=!]/.test(spec)
      ? `"${spec}" is a range, not one exact version`
      : `"${spec}" names no version (it follows every release)`;
  const version = m[3] ?? '';
  if (version.includes(',') || version.includes('*') || !EXACT.test(version))
    return `"${spec}" is a tag or range, not one exact version`;
  return undefined;
};

/** Why a spec is not pinned, per ecosystem; `undefined` when it is. */
export const unpinnedSpecReason = (p: PackageSpec): string | undefined =>
  p.ecosystem === 'npm' ? unpinnedReason(p.spec) : unpinnedPypiReason(p.spec);

/** Shells and their "run this string" flag. */
const SHELLS: Readonly<Record<string, readonly string[]>> = {
  sh: ['-c'],
  bash: ['-c'],
  zsh: ['-c'],
  dash: ['-c'],
  ksh: ['-c'],
  fish: ['-c'],
  cmd: ['/c', '/C', '/k', '/K'],
  powershell: ['-Command', '-c', '-command'],
  pwsh: ['-Command', '-c', '-command'],
};

/** The script a shell launch runs (`bash -c "…"`), with its index in args; `undefined` for a direct exec. */
export const shellScriptOf = (
  command: string,
  args: readonly string[],
): { shell: string; script: string; argIndex: number } | undefined => {
  const shell = commandName(command);
  const flags = SHELLS[shell];
  if (!flags) return undefined;
  const at = args.findIndex(
    (a) => flags.includes(a) || (/^-[a-z]*c$/.test(a) && flags.includes('-c')),
  );
  if (at < 0) return undefined;
  return {
    shell,
    script: args.slice(at + 1).join(' '),
    argIndex: Math.min(at + 1, args.length - 1),
  };
};

/** A download piped straight into an interpreter: `curl … | sh`, `wget -O- … | bash`, `iwr … | iex`. */
export const DOWNLOAD_TO_SHELL =
  /\b(curl|wget|fetch|iwr|irm|invoke-webrequest|invoke-restmethod)\b[^|;&]*\|\s*(sudo\s+)?(\S*\/)?(ba|z|da|k|fi)?sh\b|\b(iwr|irm|invoke-webrequest|invoke-restmethod)\b[^|;&]*\|\s*iex\b|\b(ba|z|da)?sh\s+<\(\s*(curl|wget)\b/i;

/** The commands of a shell script, split on pipes, `;`, `&&` and `||`, each into words (quotes dropped). */
export const commandsOf = (script: string): string[][] =>
  script
    .split(/\|\|?|;|&&|\n/)
    .map((part) =>
      part
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map((w) => w.replace(/^["']|["']$/g, '')),
    )
    .filter((words) => words.length > 0);

const DOCKER_VALUE_FLAGS = new Set([
  '-e',
  '--env',
  '--env-file',
  '-v',
  '--volume',
  '--mount',
  '--name',
  '--network',
  '--net',
  '-p',
  '--publish',
  '-u',
  '--user',
  '-w',
  '--workdir',
  '--entrypoint',
  '-l',
  '--label',
  '--platform',
  '-m',
  '--memory',
  '--cpus',
  '--add-host',
  '--cap-add',
  '--cap-drop',
  '--security-opt',
  '--device',
  '--pull',
  '-h',
  '--hostname',
  '--tmpfs',
  '--ulimit',
  '--pids-limit',
  '--runtime',
]);

/** The image of `docker run …` / `podman run …`, with its index in args; `undefined` for any other command. */
export const containerImageOf = (
  command: string,
  args: readonly string[],
): { image: string; argIndex: number } | undefined => {
  const name = commandName(command);
  if ((name !== 'docker' && name !== 'podman') || args[0] !== 'run') return undefined;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('-')) return { image: arg, argIndex: i };
    if (DOCKER_VALUE_FLAGS.has(arg)) i++;
  }
  return undefined;
};

/** An image reference that names one immutable image: `name@sha256:<64 hex>`. */
export const isDigestPinned = (image: string): boolean => /@sha256:[0-9a-f]{64}$/.test(image);
