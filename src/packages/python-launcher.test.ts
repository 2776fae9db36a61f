import { describe, expect, it } from 'vitest';
import { ServerSchema } from '../config/server-schema.js';
import { decidePythonLaunch, exactPypi, pypiLaunchOf } from './python-launcher.js';

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

describe('when a PyPI launch is read', () => {
  it('[PKG-13] finds the package, the console script and its arguments in every launcher form', () => {
    expect(pypiLaunchOf('uvx', ['tinymcp==1.0.0', '--flag', 'x'])).toEqual({
      launcher: 'uvx',
      spec: 'tinymcp==1.0.0',
      command: 'tinymcp',
      rest: ['--flag', 'x'],
    });
    expect(
      pypiLaunchOf('/usr/bin/uvx', ['--python', '3.12', '--from', 'a-b==2.0', 'ab', 'y']),
    ).toEqual({ launcher: 'uvx', spec: 'a-b==2.0', command: 'ab', rest: ['y'] });
    expect(pypiLaunchOf('uv', ['tool', 'run', '--from=t==1.0', 'tcli'])).toMatchObject({
      launcher: 'uv tool run',
      spec: 't==1.0',
      command: 'tcli',
    });
    expect(pypiLaunchOf('pipx', ['run', '--spec', 't==1.0', 'tcli'])).toMatchObject({
      launcher: 'pipx run',
      spec: 't==1.0',
      command: 'tcli',
    });
    expect(pypiLaunchOf('pipx', ['install', 't==1.0'])).toBeUndefined();
    expect(pypiLaunchOf('python3', ['-m', 't'])).toBeUndefined();
  });

  it('[PKG-13] takes only one exact version as managed', () => {
    expect(exactPypi('mcp-server-time==0.6.2')).toEqual({
      name: 'mcp-server-time',
      version: '0.6.2',
    });
    expect(exactPypi('tool@1.0.0rc1')).toEqual({ name: 'tool', version: '1.0.0rc1' });
    for (const spec of [
      'tool',
      'tool>=1.0',
      'tool==1.*',
      'tool[extra]==1.0',
      'tool~=1.0',
      'https://x/t.whl',
    ])
      expect(exactPypi(spec), spec).toBeUndefined();
  });
});
