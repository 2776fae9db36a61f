// The rigs the package-pinning tests lock and run: a local script app and a container image server.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signedBundle } from '../fixtures/cosign-bundle.js';
import { fixture, runToolgate, tempDir, type Running } from './harness.js';

/** Runs the toolgate CLI; resolves with its exit code and output (never rejects). */
export const toolgate = (args: string[], cwd?: string, env?: Record<string, string>) =>
  runToolgate(args, { ...(cwd !== undefined && { cwd }), ...(env && { env }), timeoutMs: 300_000 });

/** Whether the gateway has refused a server's start as tampered. */
export const tampered = (g: Running) => g.stderr.some((l) => l.includes('PACKAGE_TAMPERED'));

/** A local app: server.js imports its sibling lib/tools.js, which starts the echo fixture (which imports the MCP SDK). */
export const scriptRig = () => {
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

/**
 * No container engine here: a stand-in `docker` on PATH records the argv it was given and then
 * speaks MCP (the echo fixture), so the test sees exactly what the gateway asked the engine to run.
 */
export const imageRig = () => {
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
  writeFileSync(join(dir, 'image.sigstore.json'), JSON.stringify(signedBundle(privateKey, digest)));
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
