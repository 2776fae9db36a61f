import { basename } from 'node:path';
import { isStdioServer, type ServerConfig } from '../config/schema.js';

/**
 * What toolgate does with a server launched by uvx, `uv tool run` or `pipx run`. Unlike npx servers,
 * these are not managed: toolgate installs nothing from PyPI (no Python package manager library, and
 * PyPI is not reachable from every host), so the launcher fetches its package itself at every start.
 * Under the default sandbox it has no network, and the start would only time out after the probe
 * timeout, naming neither cause nor fix. So it is refused up front, with the fixes; a config that
 * grants the fetch (egress to PyPI, or no sandbox) runs it unmanaged, with a warning at every start.
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

/** The launcher and the PyPI package it fetches (`--from`/`--spec` first, else the first positional). Pure. */
const pypiLaunchOf = (
  command: string,
  args: readonly string[],
): { launcher: string; spec: string } | undefined => {
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
  let positional: string | undefined;
  for (let i = from; i < args.length; i++) {
    const arg = args[i] ?? '';
    const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
    if ((flag === '--from' || flag === '--spec') && (inline ?? args[i + 1]))
      return { launcher, spec: inline ?? args[i + 1] ?? '' };
    if (VALUE_FLAGS.has(flag) && inline === undefined) i++;
    else if (!arg.startsWith('-')) {
      positional ??= arg;
      break;
    }
  }
  return positional === undefined ? undefined : { launcher, spec: positional };
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
  return {
    ok: false,
    code: 'PACKAGE_UNMANAGED_LAUNCHER',
    message:
      `server "${id}" not started: ${what}, and its sandbox has no network (toolgate manages npm ` +
      `packages only). Fix: install it yourself (e.g. "uv tool install ${spec.spec}") and set ` +
      `command to the installed binary, which the lock pins; or allow egress to ${PYPI_HOSTS.join(' and ')} ` +
      `(the fetch stays unpinned)`,
  };
};
