import { execFile } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, eventually, startStdioGateway, tempDir, type Running } from './harness.js';

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
