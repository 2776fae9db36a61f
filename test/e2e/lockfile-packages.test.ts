import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, eventually, fixture, ROOT, startStdioGateway, tempDir, type Running } from './harness.js';

/** Runs the toolgate CLI; resolves with its exit code and output (never rejects). */
const toolgate = (args: string[], cwd?: string) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, timeout: 300_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });

let gw: Running | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const tampered = (g: Running) => g.stderr.some((l) => l.includes('PACKAGE_TAMPERED'));

interface NpmLock {
  servers: { memory: { package: { kind: string; launcher: string; version: string; installPath: string; tree: string; dependencies: string } } };
}

describe('an npx-launched server from npm: the copy npx runs is re-hashed before every spawn', () => {
  /**
   * The real @modelcontextprotocol/server-memory, launched with npx from a directory outside any
   * project, with its own npm cache: `toolgate lock` starts it (npx installs it from the registry
   * into <cache>/_npx/<hash>) and pins that copy and its dependencies.
   */
  const npxRig = () => {
    const dir = tempDir();
    const config = join(dir, 'toolgate.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        servers: {
          memory: {
            command: 'npx',
            args: ['-y', '@modelcontextprotocol/server-memory@2026.8.31'],
            cwd: dir,
            env: { npm_config_cache: join(dir, 'npm-cache'), MEMORY_FILE_PATH: join(dir, 'memory.jsonl'), npm_config_update_notifier: 'false' },
            tools: ['read_graph'],
            sandbox: false,
            pin: { provenance: 'off' },
          },
        },
      }),
    );
    return { dir, config };
  };

  it('[PKG-8] pins the npx cache copy; one tampered file in it or in a dependency refuses the start, untouched starts', async () => {
    const { dir, config } = npxRig();
    const locked = await toolgate(['lock', '--config', config]);
    expect(locked.code, locked.stderr).toBe(0);
    const pkg = (JSON.parse(readFileSync(join(dir, 'toolgate.lock'), 'utf8')) as NpmLock).servers.memory.package;
    expect(pkg).toMatchObject({ kind: 'npm', launcher: 'npx', version: '2026.8.31' });
    expect(pkg.installPath).toMatch(/npm-cache\/_npx\/[0-9a-f]{16}\/node_modules\/@modelcontextprotocol\/server-memory$/);
    expect(pkg.tree).toMatch(/^[0-9a-f]{64}$/);
    expect(pkg.dependencies).toMatch(/^[0-9a-f]{64}$/);

    // Untouched: it starts.
    gw = await startStdioGateway({}, { lock: { dir } });
    expect((await gw.client.listTools()).tools.map((t) => t.name)).toEqual(['memory__read_graph']);
    await gw.close();

    // One line appended to the package's entry: not started, the client gets the error.
    const entry = join(pkg.installPath, 'dist/index.js');
    const original = readFileSync(entry);
    appendFileSync(entry, '\n// backdoor\n');
    gw = await startStdioGateway({}, { lock: { dir } });
    await eventually(() => tampered(gw as Running));
    expect(gw.stderr.join('\n')).toContain('the installed files of @modelcontextprotocol/server-memory@2026.8.31');
    expect((await gw.client.listTools()).tools).toEqual([]);
    await expect(gw.client.callTool({ name: 'memory__read_graph', arguments: {} })).rejects.toMatchObject({
      data: { code: expect.stringMatching(/^(PACKAGE_TAMPERED|UPSTREAM_UNAVAILABLE)$/) },
    });
    await gw.close();
    writeFileSync(entry, original);

    // A dependency in the same npx install (the MCP SDK it imports) changed: refused too.
    const dependency = join(pkg.installPath, '../sdk/package.json');
    const manifest = readFileSync(dependency);
    writeFileSync(dependency, manifest.toString().replace('"description"', '"x-patched": true, "description"'));
    gw = await startStdioGateway({}, { lock: { dir } });
    await eventually(() => tampered(gw as Running));
    expect(gw.stderr.join('\n')).toContain('the dependencies of @modelcontextprotocol/server-memory@2026.8.31');
    expect((await gw.client.listTools()).tools).toEqual([]);
    await gw.close();
    writeFileSync(dependency, manifest);

    // Restored byte for byte: it starts again, and diff agrees.
    gw = await startStdioGateway({}, { lock: { dir } });
    expect((await gw.client.listTools()).tools.map((t) => t.name)).toEqual(['memory__read_graph']);
    expect((await toolgate(['diff', '--config', config])).code).toBe(0);
  }, 300_000);
});

describe('a script server (node path/to/server.js): what it loads is pinned, not the entry alone', () => {
  /** A local app: server.js imports its sibling lib/tools.js, which starts the echo fixture (which imports the MCP SDK). */
  const scriptRig = () => {
    const dir = tempDir();
    const app = join(dir, 'app');
    mkdirSync(join(app, 'lib'), { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'local-app', version: '0.0.0', type: 'module' }));
    writeFileSync(join(app, 'server.js'), "import './lib/tools.js';\n");
    writeFileSync(join(app, 'lib/tools.js'), `import 'helper-dep';\nimport ${JSON.stringify(fixture('echo-server'))};\n`);
    mkdirSync(join(app, 'node_modules/helper-dep'), { recursive: true });
    writeFileSync(join(app, 'node_modules/helper-dep/package.json'), JSON.stringify({ name: 'helper-dep', version: '1.0.0', type: 'module', main: 'index.js' }));
    writeFileSync(join(app, 'node_modules/helper-dep/index.js'), 'export const helper = 1;\n');
    writeFileSync(join(app, 'README.md'), 'Not loaded by the server.\n');
    const config = join(dir, 'toolgate.yaml');
    writeFileSync(config, JSON.stringify({ servers: { echo: { command: process.execPath, args: [join(app, 'server.js')], tools: ['*'], sandbox: false } } }));
    return { dir, app, config };
  };

  it('[PKG-9] a tampered sibling module (or a package the script imports) refuses the start; a file it never loads does not', async () => {
    const { dir, app, config } = scriptRig();
    const locked = await toolgate(['lock', '--config', config]);
    expect(locked.code, locked.stderr).toBe(0);
    const pkg = (JSON.parse(readFileSync(join(dir, 'toolgate.lock'), 'utf8')) as { servers: { echo: { package: { role: string; modules: object; packages: object } } } }).servers.echo.package;
    expect(pkg.role).toBe('script');
    expect(Object.keys(pkg.modules).sort()).toEqual([fixture('echo-server'), fixture('echo-tool'), join(app, 'lib/tools.js'), join(app, 'server.js')].sort());
    expect(Object.keys(pkg.packages)).toContain(join(ROOT, 'node_modules/@modelcontextprotocol/server'));
    expect(Object.keys(pkg.packages)).toContain(join(app, 'node_modules/helper-dep'));

    gw = await startStdioGateway({}, { lock: { dir } });
    expect((await gw.client.listTools()).tools.map((t) => t.name)).toContain('echo__echo');
    await gw.close();

    const sibling = join(app, 'lib/tools.js');
    const original = readFileSync(sibling);
    appendFileSync(sibling, 'globalThis.exfiltrate = true;\n');
    gw = await startStdioGateway({}, { lock: { dir } });
    await eventually(() => tampered(gw as Running));
    expect(gw.stderr.join('\n')).toContain(`${sibling}, loaded by the script ${join(app, 'server.js')}`);
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
