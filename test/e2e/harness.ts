import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type ClientOptions } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

export const ROOT = join(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/toolgate.js');

/** Runs the toolgate CLI; resolves with its exit code and output (never rejects). `env` is added to the test's own. */
export const runToolgate = (
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const env = options.env && { ...process.env, ...options.env };
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: options.cwd, env, timeout: options.timeoutMs ?? 120_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as { code?: unknown }).code ?? 1) : 0,
          stdout,
          stderr,
        }),
    );
  });
/**
 * The built JavaScript of a source file (`test/fixtures/demo.ts` → `dist/test/fixtures/demo.js`), for
 * the processes a test starts. The e2e project's global setup (test/global-setup.ts) builds it first.
 */
export const built = (source: string) => join(ROOT, 'dist', source.replace(/\.ts$/, '.js'));
export const fixture = (name: string) => built(`test/fixtures/servers/${name}.ts`);
export const npmServer = (pkg: 'server-everything' | 'server-memory' | 'server-filesystem') =>
  join(ROOT, 'node_modules/@modelcontextprotocol', pkg, 'dist/index.js');

/**
 * A fresh temp dir for one test's config and logs. Open to all (0777): when the tests run as root,
 * sandboxed servers run as nobody and must still reach the dirs bound into their sandbox.
 */
export const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-test-'));
  chmodSync(dir, 0o777);
  return dir;
};

export interface Running {
  readonly client: Client;
  readonly stderr: string[];
  readonly dir: string;
  close(): Promise<void>;
}

/** The machine's CA bundle settings (paths, not secrets): a gateway's npx must reach the registry mirror. */
const machineTrust = (): Record<string, string> =>
  Object.fromEntries(
    ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR'].flatMap((k) =>
      process.env[k] ? [[k, process.env[k]]] : [],
    ),
  );

/** Starts `toolgate run` with `config` and connects the official SDK client to it over stdio. */
export const startStdioGateway = async (
  config: Record<string, unknown>,
  options: {
    client?: ClientOptions;
    env?: Record<string, string>;
    setup?: (client: Client) => void;
    /** Run the config already in `dir` and enforce the lock beside it (`toolgate lock`); otherwise `--no-lock`. */
    lock?: { dir: string };
    /**
     * Resolve only once every upstream's first start has ended ("gateway started"), as by default: a list
     * waits for a starting server only `limits.listTimeoutMs`, less than a cold start on a busy machine.
     * `false` for tests of a start that does not end.
     */
    awaitStart?: boolean;
  } = {},
): Promise<Running> => {
  const dir = options.lock?.dir ?? tempDir();
  const configPath = join(dir, 'toolgate.yaml');
  if (!options.lock) writeFileSync(configPath, JSON.stringify(config));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'run', ...(options.lock ? [] : ['--no-lock']), '--config', configPath],
    stderr: 'pipe',
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      ...machineTrust(),
      ...options.env,
    },
  });
  const stderr: string[] = [];
  transport.stderr?.on('data', (chunk: Buffer) =>
    stderr.push(...chunk.toString().split('\n').filter(Boolean)),
  );
  const client = new Client({ name: 'toolgate-test', version: '1.0.0' }, options.client ?? {});
  options.setup?.(client);
  await client.connect(transport);
  if (options.awaitStart !== false)
    await eventually(() => stderr.some((line) => line.includes('"gateway started"')), 45_000).catch(
      () => undefined,
    );
  return { client, stderr, dir, close: () => client.close() };
};

/** Polls until `check` passes or the time is up. */
export const eventually = async (
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
): Promise<void> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
};

/** The JSON-RPC error a call failed with; fails the test if the call succeeded. */
export const errorOf = async (
  p: Promise<unknown>,
): Promise<{ code: number; message: string; data?: { code?: string } }> => {
  try {
    await p;
  } catch (error) {
    return error as { code: number; message: string; data?: { code?: string } };
  }
  throw new Error('expected a JSON-RPC error');
};
