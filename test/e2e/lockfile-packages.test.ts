import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, fixture, ROOT, startStdioGateway, type Running } from './harness.js';
import { scriptRig, tampered, toolgate } from './package-rigs.js';

let gw: Running | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('a script server (node path/to/server.js): what it loads is pinned, not the entry alone', () => {
  it('[PKG-9] a tampered sibling module (or a package the script imports) refuses the start; a file it never loads does not', async () => {
    const { dir, app, config } = scriptRig();
    const locked = await toolgate(['lock', '--config', config]);
    expect(locked.code, locked.stderr).toBe(0);
    const pkg = (
      JSON.parse(readFileSync(join(dir, 'toolgate.lock'), 'utf8')) as {
        servers: { echo: { package: { role: string; modules: object; packages: object } } };
      }
    ).servers.echo.package;
    expect(pkg.role).toBe('script');
    expect(Object.keys(pkg.modules).sort()).toEqual(
      [
        fixture('echo-server'),
        fixture('echo-tool'),
        join(app, 'lib/tools.js'),
        join(app, 'server.js'),
      ].sort(),
    );
    expect(Object.keys(pkg.packages)).toContain(
      join(ROOT, 'node_modules/@modelcontextprotocol/server'),
    );
    expect(Object.keys(pkg.packages)).toContain(join(app, 'node_modules/helper-dep'));

    gw = await startStdioGateway({}, { lock: { dir } });
    expect((await gw.client.listTools()).tools.map((t) => t.name)).toContain('echo__echo');
    await gw.close();

    const sibling = join(app, 'lib/tools.js');
    const original = readFileSync(sibling);
    appendFileSync(sibling, 'globalThis.exfiltrate = true;\n');
    gw = await startStdioGateway({}, { lock: { dir } });
    await eventually(() => tampered(gw as Running));
    expect(gw.stderr.join('\n')).toContain(
      `${sibling}, loaded by the script ${join(app, 'server.js')}`,
    );
    expect((await gw.client.listTools()).tools).toEqual([]);
    await gw.close();
    writeFileSync(sibling, original);

    // A new import added to the entry is a change too (the graph is read again before each spawn).
    const entry = join(app, 'server.js');
    writeFileSync(join(app, 'lib/extra.js'), 'export {};\n');
    writeFileSync(entry, "import './lib/tools.js';\nimport './lib/extra.js';\n");
    const diff = await toolgate(['diff', '--config', config]);
    expect(diff.stdout).toContain('echo PACKAGE CHANGED');
    writeFileSync(entry, "import './lib/tools.js';\n");

    // A package the script imports by name, changed.
    const dependency = join(app, 'node_modules/helper-dep/index.js');
    appendFileSync(dependency, 'globalThis.exfiltrate = true;\n');
    gw = await startStdioGateway({}, { lock: { dir } });
    await eventually(() => tampered(gw as Running));
    expect(gw.stderr.join('\n')).toContain(join(app, 'node_modules/helper-dep'));
    await gw.close();
    writeFileSync(dependency, 'export const helper = 1;\n');

    appendFileSync(join(app, 'README.md'), 'Edited.\n');
    gw = await startStdioGateway({}, { lock: { dir } });
    expect((await gw.client.listTools()).tools.map((t) => t.name)).toContain('echo__echo');
  }, 120_000);
});

describe('a server that crashes', () => {
  it('[PKG-5] is checked against the lock again before its restart: tampered meanwhile, it is not restarted', async () => {
    const { dir, app, config, pidFile } = scriptRig();
    expect((await toolgate(['lock', '--config', config])).code).toBe(0);
    gw = await startStdioGateway({}, { lock: { dir } });
    expect((await gw.client.listTools()).tools.map((t) => t.name)).toContain('echo__echo');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    appendFileSync(join(app, 'lib/tools.js'), 'globalThis.exfiltrate = true;\n');
    process.kill(pid, 'SIGKILL');
    await eventually(() => tampered(gw as Running));
    expect(gw.stderr.join('\n')).toContain(`${join(app, 'lib/tools.js')}, loaded by the script`);
    expect(Number(readFileSync(pidFile, 'utf8'))).toBe(pid); // never spawned again
    await expect(
      gw.client.callTool({ name: 'echo__echo', arguments: { text: 'x' } }),
    ).rejects.toMatchObject({
      data: { code: 'UPSTREAM_UNAVAILABLE' },
      message: expect.stringContaining('PACKAGE_TAMPERED'),
    });
  }, 60_000);
});
