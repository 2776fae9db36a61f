import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runToolgate } from './harness.js';

/**
 * A uvx server that toolgate cannot manage (no exact version, or no usable Python) under the default
 * sandbox: the launcher would fetch from PyPI, which the sandbox cannot reach, so the start is refused
 * before anything is spawned, with the code and the fixes. The `uvx` here is a stand-in executable
 * that records being run: it must never be. (Managed uvx servers: uvx-store.test.ts.)
 */
const rig = (server: Record<string, unknown>, lock: Record<string, unknown> = {}) => {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-uvx-'));
  chmodSync(dir, 0o755); // where the sandbox's own uid may pass, as a real uvx's folder is
  const uvx = join(dir, 'uvx');
  const ran = join(dir, 'uvx-ran');
  writeFileSync(uvx, `#!/bin/sh\ntouch ${ran}\nexit 1\n`);
  chmodSync(uvx, 0o755);
  const config = join(dir, 'toolgate.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      audit: false,
      lock,
      servers: {
        fetch: { command: uvx, args: ['mcp-server-fetch>=2025.4'], tools: ['fetch'], ...server },
      },
    }),
  );
  return { config, ran };
};

const uvxOf = (config: string) => join(dirname(config), 'uvx');

describe('when a server is launched by uvx', () => {
  it('[PKG-12] lock refuses a spec without one exact version under the default sandbox, never spawning uvx, and names the fixes', async () => {
    const { config, ran } = rig({});
    const started = Date.now();
    const locked = await runToolgate(['lock', '--config', config]);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain('PACKAGE_UNMANAGED_LAUNCHER');
    expect(locked.stderr).toContain(
      'pin one exact version ("name==1.2.3") and run "toolgate lock"',
    );
    expect(locked.stderr).toContain('uv tool install mcp-server-fetch>=2025.4');
    expect(existsSync(ran)).toBe(false);
    // Refused up front, not after the 30 s start probe timed out.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('[PKG-12] with egress to PyPI granted, spawns it unmanaged and warns', async () => {
    const { config } = rig({ egress: { allow: ['pypi.org', 'files.pythonhosted.org'] } });
    const locked = await runToolgate(['lock', '--config', config]);
    expect(locked.code).toBe(1); // the stand-in exits at once
    expect(locked.stderr).toContain('unmanaged (toolgate neither installs nor verifies it)');
    expect(locked.stderr).not.toContain('PACKAGE_UNMANAGED_LAUNCHER');
  });

  it('[PKG-12] lock refuses an exact version when no Python the sandbox can run is there', async () => {
    const { config, ran } = rig(
      { args: ['mcp-server-fetch==2025.4.7'] },
      { python: '/nonexistent/bin/python3' },
    );
    const locked = await runToolgate(['lock', '--config', config]);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain('PACKAGE_UNMANAGED_LAUNCHER');
    expect(locked.stderr).toContain('needs a Python with pip that the sandbox');
    expect(locked.stderr).toContain('apt-get install python3-pip');
    expect(existsSync(ran)).toBe(false);
  });

  it('[PKG-12] an exact version with no usable Python runs unmanaged where the config grants the fetch', async () => {
    const { config } = rig(
      {
        args: ['mcp-server-fetch==2025.4.7'],
        egress: { allow: ['pypi.org', 'files.pythonhosted.org'] },
      },
      { python: '/nonexistent/bin/python3' },
    );
    const locked = await runToolgate(['lock', '--config', config]);
    expect(locked.code).toBe(1); // the stand-in exits at once
    expect(locked.stderr).toContain('unmanaged (toolgate neither installs nor verifies it)');
    expect(locked.stderr).not.toContain('PACKAGE_UNMANAGED_LAUNCHER');
    // Pinned as the binary it is, as before toolgate managed Python packages.
    expect(locked.stderr).toContain(`binary ${uvxOf(config)}`);
  });
});
