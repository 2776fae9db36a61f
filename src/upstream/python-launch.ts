import type { ServerConfig } from '../config/schema.js';
import { PackageError } from '../errors.js';
import { logLine } from '../log.js';
import { decidePythonLaunch } from '../packages/python-launcher.js';

/** Before every (re)start: a uvx/pipx server the sandbox leaves offline is refused; a granted one is warned about. */
export const assertPythonLaunch = (id: string, server: ServerConfig): void => {
  const decision = decidePythonLaunch(id, server);
  if (!decision.ok) throw new PackageError(decision.code, decision.message);
  if (decision.warning) logLine('warn', decision.warning, { server: id });
};
