import { describe, expect, it } from 'vitest';
import { ServerSchema } from '../config/server-schema.js';
import { decidePythonLaunch } from './python-launcher.js';

const server = (extra: Record<string, unknown>) =>
  ServerSchema.parse({ command: 'uvx', args: ['mcp-server-fetch==2025.4.7'], ...extra });

describe('when a server is launched by a PyPI launcher', () => {
  it('[PKG-12] refuses it under the default sandbox (no network), naming the code and the fixes', () => {
    const decision = decidePythonLaunch('fetch', server({}));
    expect(decision).toMatchObject({ ok: false, code: 'PACKAGE_UNMANAGED_LAUNCHER' });
    const message = decision.ok ? '' : decision.message;
    expect(message).toContain('server "fetch" not started');
    expect(message).toContain('uvx fetches "mcp-server-fetch==2025.4.7" from PyPI');
    expect(message).toContain('uv tool install mcp-server-fetch==2025.4.7');
    expect(message).toContain('pypi.org and files.pythonhosted.org');
  });

  it('[PKG-12] refuses `uv tool run` and `pipx run` alike', () => {
    for (const [command, args] of [
      ['uv', ['tool', 'run', 'mcp-server-time==0.6.2']],
      ['/usr/local/bin/pipx', ['run', 'mcp-server-time==0.6.2']],
      ['uvx', ['--python', '3.12', '--from', 'mcp-server-time==0.6.2', 'mcp-server-time']],
    ] as const)
      expect(decidePythonLaunch('t', server({ command, args }))).toMatchObject({ ok: false });
  });

  it('[PKG-12] runs it unmanaged, with a warning, where the config grants the fetch', () => {
    expect(
      decidePythonLaunch(
        'f',
        server({ egress: { allow: ['pypi.org', 'files.pythonhosted.org'] } }),
      ),
    ).toEqual({
      ok: true,
      warning: expect.stringContaining(
        'unmanaged (toolgate neither installs nor verifies it), through the egress granted to pypi.org, files.pythonhosted.org',
      ) as string,
    });
    expect(decidePythonLaunch('f', server({ sandbox: false }))).toEqual({
      ok: true,
      warning: expect.stringContaining('it runs unsandboxed') as string,
    });
  });

  it('leaves every other launch alone', () => {
    expect(decidePythonLaunch('n', server({ command: 'npx', args: ['-y', 'pkg@1.0.0'] }))).toEqual({
      ok: true,
    });
    expect(decidePythonLaunch('p', server({ command: 'python3', args: ['server.py'] }))).toEqual({
      ok: true,
    });
    expect(decidePythonLaunch('h', ServerSchema.parse({ url: 'https://example.com/mcp' }))).toEqual(
      { ok: true },
    );
  });
});
