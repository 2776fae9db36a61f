import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signedBundle } from '../fixtures/cosign-bundle.js';
import {
  eventually,
  fixture,
  ROOT,
  runToolgate,
  startStdioGateway,
  tempDir,
  type Running,
} from './harness.js';

/** Runs the toolgate CLI; resolves with its exit code and output (never rejects). */
const toolgate = (args: string[], cwd?: string, env?: Record<string, string>) =>
  runToolgate(args, { ...(cwd !== undefined && { cwd }), ...(env && { env }), timeoutMs: 300_000 });

let gw: Running | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const tampered = (g: Running) => g.stderr.some((l) => l.includes('PACKAGE_TAMPERED'));

/** A local app: server.js imports its sibling lib/tools.js, which starts the echo fixture (which imports the MCP SDK). */
const scriptRig = () => {
  const dir = tempDir();
  const app = join(dir, 'app');
  mkdirSync(join(app, 'lib'), { recursive: true });
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'local-app', version: '0.0.0', type: 'module' }),
  );
  writeFileSync(join(app, 'server.js'), "import './lib/tools.js';\n");
  // Its pid, so a test can crash it.
  writeFileSync(
    join(app, 'lib/tools.js'),
    `import { writeFileSync } from 'node:fs';\nwriteFileSync(process.env.PID_FILE ?? '/dev/null', String(process.pid));\nimport 'helper-dep';\nimport ${JSON.stringify(fixture('echo-server'))};\n`,
  );
  mkdirSync(join(app, 'node_modules/helper-dep'), { recursive: true });
  writeFileSync(
    join(app, 'node_modules/helper-dep/package.json'),
    JSON.stringify({ name: 'helper-dep', version: '1.0.0', type: 'module', main: 'index.js' }),
  );
  writeFileSync(join(app, 'node_modules/helper-dep/index.js'), 'export const helper = 1;\n');
  writeFileSync(join(app, 'README.md'), 'Not loaded by the server.\n');
  const config = join(dir, 'toolgate.yaml');
  const pidFile = join(dir, 'server.pid');
  writeFileSync(
    config,
    JSON.stringify({
      servers: {
        echo: {
          command: process.execPath,
          args: [join(app, 'server.js')],
          env: { PID_FILE: pidFile },
          tools: ['*'],
          sandbox: false,
          restart: { initialDelayMs: 100 },
        },
      },
    }),
  );
  return { dir, app, config, pidFile };
};

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

describe('a container server (image:): started by the locked digest, its signature verified before every spawn', () => {
  /**
   * No container engine here: a stand-in `docker` on PATH records the argv it was given and then
   * speaks MCP (the echo fixture), so the test sees exactly what the gateway asked the engine to run.
   */
  const imageRig = () => {
    const dir = tempDir();
    const bin = join(dir, 'bin');
    const argvLog = join(dir, 'docker-argv.log');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'docker'),
      `#!${process.execPath}\nrequire('node:fs').appendFileSync(${JSON.stringify(argvLog)}, JSON.stringify(process.argv.slice(2)) + '\\n');\nimport(${JSON.stringify(fixture('echo-server'))});\n`,
    );
    chmodSync(join(bin, 'docker'), 0o755);
    const digest = randomBytes(32).toString('hex');
    const ref = `ghcr.io/example/mcp-server@sha256:${digest}`;
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(
      join(dir, 'cosign.pub'),
      publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    );
    writeFileSync(
      join(dir, 'image.sigstore.json'),
      JSON.stringify(signedBundle(privateKey, digest)),
    );
    const config = join(dir, 'toolgate.yaml');
    const write = (image: string, pinRef = ref) =>
      writeFileSync(
        config,
        JSON.stringify({
          servers: {
            img: {
              image,
              tools: ['*'],
              pin: {
                image: { ref: pinRef, publicKey: 'cosign.pub', signature: 'image.sigstore.json' },
              },
            },
          },
        }),
      );
    write('ghcr.io/example/mcp-server:1.0');
    const env = { PATH: `${bin}:${process.env['PATH'] ?? ''}` };
    const runs = () =>
      existsSync(argvLog)
        ? readFileSync(argvLog, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as string[])
        : [];
    return { dir, config, ref, digest, env, runs, write, privateKey };
  };

  it('[PKG-10] lock and run start the image by its digest, not its tag; a swapped signature or another digest is refused before the engine runs', async () => {
    const rig = imageRig();
    const locked = await toolgate(['lock', '--config', rig.config], undefined, rig.env);
    expect(locked.code, locked.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(rig.dir, 'toolgate.lock'), 'utf8'))).toMatchObject({
      servers: {
        img: { package: { kind: 'image', ref: rig.ref, digest: `sha256:${rig.digest}` } },
      },
    });
    const image = (argv: string[]) => argv.slice(argv.indexOf('--') + 1)[0];
    expect(rig.runs().map(image)).toEqual([rig.ref]);

    gw = await startStdioGateway({}, { lock: { dir: rig.dir }, env: rig.env });
    expect((await gw.client.listTools()).tools.map((t) => t.name)).toContain('img__echo');
    expect(rig.runs().map(image)).toEqual([rig.ref, rig.ref]);
    expect(rig.runs().flat().join(' ')).not.toContain(':1.0');
    await gw.close();

    // The bundle replaced by one signed with another key: refused, the engine never runs.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const bundle = readFileSync(join(rig.dir, 'image.sigstore.json'));
    writeFileSync(
      join(rig.dir, 'image.sigstore.json'),
      JSON.stringify(signedBundle(other.privateKey, rig.digest)),
    );
    gw = await startStdioGateway({}, { lock: { dir: rig.dir }, env: rig.env });
    await eventually(() =>
      (gw as Running).stderr.some((l) => l.includes('PACKAGE_SIGNATURE_INVALID')),
    );
    expect((await gw.client.listTools()).tools).toEqual([]);
    await expect(
      gw.client.callTool({ name: 'img__echo', arguments: { text: 'x' } }),
    ).rejects.toMatchObject({ message: expect.stringContaining('PACKAGE_SIGNATURE_INVALID') });
    expect(rig.runs()).toHaveLength(2);
    await gw.close();
    writeFileSync(join(rig.dir, 'image.sigstore.json'), bundle);

    // The config now names another digest (validly signed with the same key): not what the lock pins.
    const moved = randomBytes(32).toString('hex');
    writeFileSync(
      join(rig.dir, 'image.sigstore.json'),
      JSON.stringify(signedBundle(rig.privateKey, moved)),
    );
    rig.write('ghcr.io/example/mcp-server:1.0', `ghcr.io/example/mcp-server@sha256:${moved}`);
    gw = await startStdioGateway({}, { lock: { dir: rig.dir }, env: rig.env });
    await eventually(() => tampered(gw as Running));
    expect((await gw.client.listTools()).tools).toEqual([]);
    await gw.close();

    // Another repository under the same name tag: refused as well.
    writeFileSync(join(rig.dir, 'image.sigstore.json'), bundle);
    rig.write('ghcr.io/evil/mcp-server:1.0');
    gw = await startStdioGateway({}, { lock: { dir: rig.dir }, env: rig.env });
    await eventually(() => tampered(gw as Running));
    expect(gw.stderr.join('\n')).toContain('the lock pins');
    expect(rig.runs()).toHaveLength(2);
  }, 120_000);

  it('[PKG-10] lock refuses an image server without pin.image, and a tag even with --allow-unpinned', async () => {
    const rig = imageRig();
    writeFileSync(
      rig.config,
      JSON.stringify({
        servers: { img: { image: 'ghcr.io/example/mcp-server:1.0', tools: ['*'] } },
      }),
    );
    const refused = await toolgate(
      ['lock', '--config', rig.config, '--allow-unpinned'],
      undefined,
      rig.env,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('LOCK_UNPINNED');
    expect(refused.stderr).toContain('name it by @sha256 digest');
    writeFileSync(
      rig.config,
      JSON.stringify({ servers: { img: { image: rig.ref, tools: ['*'] } } }),
    );
    expect((await toolgate(['lock', '--config', rig.config], undefined, rig.env)).stderr).toContain(
      'LOCK_UNPINNED',
    );
    const unsigned = await toolgate(
      ['lock', '--config', rig.config, '--allow-unpinned'],
      undefined,
      rig.env,
    );
    expect(unsigned.code, unsigned.stderr).toBe(0);
    expect(unsigned.stderr).toContain('UNSIGNED');
    expect(rig.runs()).toHaveLength(1);
  }, 120_000);
});
