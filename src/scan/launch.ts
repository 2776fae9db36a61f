import { unpinnedReason } from '../packages/identify.js';

/** One package a launch command fetches and runs, and where its spec sits in `args` (-1: in the command). */
export interface PackageSpec {
  readonly ecosystem: 'npm' | 'pypi';
  readonly launcher: string;
  readonly spec: string;
  readonly argIndex: number;
}

/** `/usr/bin/npx`, `npx.cmd` → `npx`. */
export const commandName = (command: string): string =>
  (command.split(/[\\/]/).pop() ?? command).toLowerCase().replace(/\.(cmd|exe|bat|ps1)$/, '');

const NPX_VALUE_FLAGS = new Set(['-p', '--package', '-c', '--call', '--cache', '--registry', '--userconfig', '-w', '--workspace']);
const UVX_VALUE_FLAGS = new Set([
  '--from', '--with', '-w', '--with-editable', '--with-requirements', '-p', '--python', '--index', '--index-url', '-i',
  '--extra-index-url', '--default-index', '--find-links', '-f', '--directory', '--project', '--cache-dir', '--config-file',
  '--refresh-package', '--reinstall-package', '--upgrade-package', '--constraints', '-c', '--overrides', '--build-constraints',
]);
const PIPX_VALUE_FLAGS = new Set(['--spec', '--python', '--index-url', '-i', '--pip-args', '--fetch-missing-python']);
/** Flags whose value is itself a package spec. */
const SPEC_FLAGS = new Set(['-p', '--package', '--from', '--with', '-w', '--spec']);

/**
 * Option values and the first positional of a launcher's own arguments: `-p X` / `--package=X` style
 * specs, then the package (or, once a spec flag named one, the command to run from it).
 */
const scanArgs = (args: readonly string[], from: number, valueFlags: ReadonlySet<string>) => {
  const specs: { spec: string; argIndex: number }[] = [];
  let positional: { spec: string; argIndex: number } | undefined;
  for (let i = from; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      if (args[i + 1] !== undefined) positional = { spec: args[i + 1] ?? '', argIndex: i + 1 };
      break;
    }
    if (arg.startsWith('-')) {
      const eq = arg.indexOf('=');
      const flag = eq > 0 ? arg.slice(0, eq) : arg;
      // `-w` means --workspace for npx, --with for uvx: only the caller's set says whether it takes a value.
      if (!valueFlags.has(flag)) continue;
      const value = eq > 0 ? arg.slice(eq + 1) : args[i + 1];
      const at = eq > 0 ? i : i + 1;
      if (eq < 0) i++;
      if (value !== undefined && SPEC_FLAGS.has(flag) && !(flag === '-w' && valueFlags === NPX_VALUE_FLAGS)) specs.push({ spec: value, argIndex: at });
      continue;
    }
    positional = { spec: arg, argIndex: i };
    break;
  }
  return { specs, positional };
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
  const npm = (launcher: string, from: number): PackageSpec[] => {
    const { specs, positional } = scanArgs(args, from, NPX_VALUE_FLAGS);
    const all = specs.length > 0 ? specs : positional ? [positional] : [];
    return all.map((s) => ({ ecosystem: 'npm', launcher, ...s }));
  };
  const pypi = (launcher: string, from: number, flags: ReadonlySet<string>): PackageSpec[] => {
    const { specs, positional } = scanArgs(args, from, flags);
    const named = specs.some((s) => args[s.argIndex - 1] === '--from' || args[s.argIndex - 1] === '--spec' || /^--(from|spec)=/.test(args[s.argIndex] ?? ''));
    const all = [...specs, ...(!named && positional ? [positional] : [])];
    return all.map((s) => ({ ecosystem: 'pypi', launcher, ...s, spec: s.spec.replace(/^--(from|with|spec|package)=/, '') }));
  };
  if (name === 'npx' || name === 'bunx') return npm(name, 0);
  if ((name === 'pnpm' || name === 'yarn') && sub === 'dlx') return npm(`${name} dlx`, 1);
  if (name === 'npm' && (sub === 'exec' || sub === 'x')) return npm('npm exec', 1);
  if (name === 'uvx') return pypi('uvx', 0, UVX_VALUE_FLAGS);
  if (name === 'uv' && sub === 'tool' && args[1] === 'run') return pypi('uv tool run', 2, UVX_VALUE_FLAGS);
  if (name === 'pipx' && sub === 'run') return pypi('pipx run', 1, PIPX_VALUE_FLAGS);
  return [];
};

const EXACT = /^\d+(\.\d+)*([._-]?(a|b|rc|alpha|beta|pre|post|dev)\.?\d*)*(\+[0-9a-z.]+)?$/i;

/** Why a PyPI requirement does not name one exact release, or `undefined` when it does (`name==1.2.3`, uvx's `name@1.2.3`). */
export const unpinnedPypiReason = (spec: string): string | undefined => {
  if (/^(git\+|https?:|file:|\.|\/)/.test(spec) || spec.includes(' @ '))
    return `"${spec}" is a git, URL or path spec, outside the index's integrity`;
  const m = /^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*(==|@)\s*(.+)$/.exec(spec);
  if (!m) return /[<>~=!]/.test(spec) ? `"${spec}" is a range, not one exact version` : `"${spec}" names no version (it follows every release)`;
  const version = m[3] ?? '';
  if (version.includes(',') || version.includes('*') || !EXACT.test(version)) return `"${spec}" is a tag or range, not one exact version`;
  return undefined;
};

/** Why a spec is not pinned, per ecosystem; `undefined` when it is. */
export const unpinnedSpecReason = (p: PackageSpec): string | undefined =>
  p.ecosystem === 'npm' ? unpinnedReason(p.spec) : unpinnedPypiReason(p.spec);

/** Shells and their "run this string" flag. */
const SHELLS: Readonly<Record<string, readonly string[]>> = {
  sh: ['-c'], bash: ['-c'], zsh: ['-c'], dash: ['-c'], ksh: ['-c'], fish: ['-c'],
  cmd: ['/c', '/C', '/k', '/K'], powershell: ['-Command', '-c', '-command'], pwsh: ['-Command', '-c', '-command'],
};

/** The script a shell launch runs (`bash -c "…"`), with its index in args; `undefined` for a direct exec. */
export const shellScriptOf = (command: string, args: readonly string[]): { shell: string; script: string; argIndex: number } | undefined => {
  const shell = commandName(command);
  const flags = SHELLS[shell];
  if (!flags) return undefined;
  const at = args.findIndex((a) => flags.includes(a) || (/^-[a-z]*c$/.test(a) && flags.includes('-c')));
  if (at < 0) return undefined;
  return { shell, script: args.slice(at + 1).join(' '), argIndex: Math.min(at + 1, args.length - 1) };
};

/** A download piped straight into an interpreter: `curl … | sh`, `wget -O- … | bash`, `iwr … | iex`. */
export const DOWNLOAD_TO_SHELL =
  /\b(curl|wget|fetch|iwr|irm|invoke-webrequest|invoke-restmethod)\b[^|;&]*\|\s*(sudo\s+)?(\S*\/)?(ba|z|da|k|fi)?sh\b|\b(iwr|irm|invoke-webrequest|invoke-restmethod)\b[^|;&]*\|\s*iex\b|\b(ba|z|da)?sh\s+<\(\s*(curl|wget)\b/i;

/** The commands of a shell script, split on pipes, `;`, `&&` and `||`, each into words (quotes dropped). */
export const commandsOf = (script: string): string[][] =>
  script
    .split(/\|\|?|;|&&|\n/)
    .map((part) => part.trim().split(/\s+/).filter(Boolean).map((w) => w.replace(/^["']|["']$/g, '')))
    .filter((words) => words.length > 0);
