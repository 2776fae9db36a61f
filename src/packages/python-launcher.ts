import { isStdioServer, type ServerConfig } from '../config/schema.js';
import { packageSpecsOf } from '../scan/launch.js';

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

export type PythonLaunchDecision =
  | { readonly ok: true; readonly warning?: string }
  | { readonly ok: false; readonly code: 'PACKAGE_UNMANAGED_LAUNCHER'; readonly message: string };

/**
 * Decides whether a server that fetches a PyPI package at start may start. Pure.
 * @example decidePythonLaunch('fetch', server) // { ok: false, code: 'PACKAGE_UNMANAGED_LAUNCHER', … }
 */
export const decidePythonLaunch = (id: string, server: ServerConfig): PythonLaunchDecision => {
  if (!isStdioServer(server)) return { ok: true };
  const spec = packageSpecsOf(server.command, server.args).find((s) => s.ecosystem === 'pypi');
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
