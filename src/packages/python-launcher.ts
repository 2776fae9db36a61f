import { basename } from 'node:path';
import { isStdioServer, type ServerConfig } from '../config/schema.js';

/**
 * What toolgate does with a server launched by uvx, `uv tool run` or `pipx run`. With one exact
 * version (`name==1.2.3`) and a usable Python, `toolgate lock` installs it into the package store
 * and the gateway starts it from there (pypi-store.ts): the launcher never runs. Otherwise (a range,
 * a bare name, no lock entry yet) the launcher would fetch its package itself at every start; under
 * the default sandbox it has no network and the start would only time out, naming neither cause nor
 * fix. So it is refused up front, with the fixes; a config that grants the fetch (egress to PyPI,
 * or no sandbox) runs it unmanaged, with a warning at every start.
 */

/** The hosts uv and pip fetch from: the index and the file host. */
const PYPI_HOSTS = ['pypi.org', 'files.pythonhosted.org'];

/** Launcher options that take a value (so the value is not the package). */
const VALUE_FLAGS = new Set([
  '--from',
  '--with',
  '-w',
  '--python',
  '-p',
  '--index-url',
  '-i',
  '--index',
  '--extra-index-url',
  '--spec',
  '--pip-args',
  '--with-requirements',
  '--constraints',
  '--overrides',
]);

/** A PyPI launch: the launcher, the package spec, the console script it runs and that script's arguments. */
export interface PypiLaunch {
  readonly launcher: string;
  readonly spec: string;
  /** The console script: the positional after `--from`/`--spec`, else the package's own name. */
  readonly command: string;
  readonly rest: readonly string[];
}

/** The launcher and the PyPI package it fetches (`--from`/`--spec` first, else the first positional). Pure. */
export const pypiLaunchOf = (command: string, args: readonly string[]): PypiLaunch | undefined => {
  const name = basename(command);
  const from =
    name === 'uvx'
      ? 0
      : name === 'uv' && args[0] === 'tool' && args[1] === 'run'
        ? 2
        : name === 'pipx' && args[0] === 'run'
          ? 1
          : -1;
  if (from < 0) return undefined;
  const launcher = from === 0 ? 'uvx' : from === 2 ? 'uv tool run' : 'pipx run';
  let spec: string | undefined;
  for (let i = from; i < args.length; i++) {
    const arg = args[i] ?? '';
    // Split at the first `=` only: `--from=name==1.2.3` keeps its `==`.
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    if ((flag === '--from' || flag === '--spec') && (inline ?? args[i + 1])) {
      spec = inline ?? args[i + 1] ?? '';
      if (inline === undefined) i++;
    } else if (VALUE_FLAGS.has(flag) && inline === undefined) i++;
    else if (!arg.startsWith('-')) {
      const script = spec === undefined ? (exactPypi(arg)?.name ?? arg) : arg;
      return { launcher, spec: spec ?? arg, command: script, rest: args.slice(i + 1) };
    }
  }
  return undefined;
};

/**
 * `name==1.2.3` (or uvx's `name@1.2.3`: one exact version) → name and version; anything else (a
 * range, a bare name, extras, a wildcard, a URL) → undefined. Pure.
 */
export const exactPypi = (spec: string): { name: string; version: string } | undefined => {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:==|@)([0-9][0-9A-Za-z.+!-]*)$/.exec(spec);
  return m?.[1] !== undefined && m[2] !== undefined ? { name: m[1], version: m[2] } : undefined;
};

export type PythonLaunchDecision =
  | { readonly ok: true; readonly warning?: string }
  | { readonly ok: false; readonly code: 'PACKAGE_UNMANAGED_LAUNCHER'; readonly message: string };

/**
 * Decides whether a server that fetches a PyPI package at start may start. Pure.
 * @example decidePythonLaunch('fetch', server) // { ok: false, code: 'PACKAGE_UNMANAGED_LAUNCHER', … }
 */
export const decidePythonLaunch = (id: string, server: ServerConfig): PythonLaunchDecision => {
  if (!isStdioServer(server)) return { ok: true };
  const spec = pypiLaunchOf(server.command, server.args);
  if (!spec) return { ok: true };
  const what = `${spec.launcher} fetches "${spec.spec}" from PyPI at every start`;
  const unmanaged = `server "${id}": ${what}, unmanaged (toolgate neither installs nor verifies it)`;
  if (server.sandbox === false) return { ok: true, warning: `${unmanaged}; it runs unsandboxed` };
  const granted = server.egress.allow.filter((host) => PYPI_HOSTS.includes(host));
  if (granted.length > 0)
    return {
      ok: true,
      warning: `${unmanaged}, through the egress granted to ${granted.join(', ')}`,
    };
  const exact = exactPypi(spec.spec) !== undefined;
  return {
    ok: false,
    code: 'PACKAGE_UNMANAGED_LAUNCHER',
    message:
      `server "${id}" not started: ${what}, and its sandbox has no network. Fix: ` +
      (exact
        ? `run "toolgate lock" to install it into the package store (it needs a Python with pip the sandbox can reach: lock.python)`
        : `pin one exact version ("name==1.2.3") and run "toolgate lock", which installs it into the package store`) +
      `; or install it yourself (e.g. "uv tool install ${spec.spec}") and set command to the installed binary, which the lock pins; ` +
      `or allow egress to ${PYPI_HOSTS.join(' and ')} (the fetch stays unpinned)`,
  };
};
