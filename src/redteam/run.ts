import { execFile } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { Config } from '../config/schema.js';
import { RedteamError } from '../errors.js';
import { attackFront } from './attacks-front.js';
import { HOST_ATTACKS } from './attacks-host.js';
import { CONTENT_ATTACKS } from './attacks-content.js';
import { makeContext, type AttackContext, type AttackResult } from './context.js';
import { REDIRECT_PATH, stage as makeStage, type Stage } from './setup.js';

const MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));
/** Order matters: the flow rules remember a session, so the toxic chain runs last. */
const ATTACKS = [
  ...CONTENT_ATTACKS.filter((a) => a.id !== 'toxic-chain'),
  ...HOST_ATTACKS,
  ...CONTENT_ATTACKS.filter((a) => a.id === 'toxic-chain'),
];

export interface RedteamReport {
  readonly posture: readonly string[];
  readonly results: readonly AttackResult[];
}

/** Only what a gateway needs from this environment: paths and the CA bundle, plus the run's secret. */
const childEnv = (stage: Stage): Record<string, string> => ({
  ...Object.fromEntries(
    ['PATH', 'HOME', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR'].flatMap((k) =>
      process.env[k] ? [[k, process.env[k]]] : [],
    ),
  ),
  ...stage.env,
});

/** An HTTP server on every loopback spelling of the host that records what reached it. */
const startCanary = async (): Promise<{ server: Server; hits: string[]; port: number }> => {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    // An allowed name that redirects into the host's loopback: only the proxy's re-check stands in the way.
    if (req.url === REDIRECT_PATH) {
      const { port } = server.address() as AddressInfo;
      res.writeHead(302, { location: `http://127.0.0.1:${port}/ssrf-redirect` });
    }
    res.end('canary');
  });
  server.on('clientError', (_error, socket) => {
    hits.push('/tcp');
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '::' }, resolve));
  return { server, hits, port: (server.address() as AddressInfo).port };
};

const toolgate = (args: readonly string[], stage: Stage) =>
  new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { env: childEnv(stage), timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });

const connect = async (stage: Stage) => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MAIN, 'run', ...(stage.lockRequired ? [] : ['--no-lock']), '--config', stage.configPath],
    stderr: 'pipe',
    env: childEnv(stage),
  });
  const stderr: string[] = [];
  let started!: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr.push(chunk.toString());
    if (chunk.toString().includes('"gateway started"')) started();
  });
  const client = new Client({ name: 'toolgate-redteam', version: '1.0.0' });
  await client.connect(transport);
  const timer = setTimeout(started, 30_000);
  await ready;
  clearTimeout(timer);
  return { client, stderr };
};

/**
 * Every attack needs the hostile server in reach: if its tools are not listed (a start that failed, a
 * policy that hides it), the run would report every attack blocked without having tried one.
 */
const expectHostile = async (ctx: AttackContext, stderr: readonly string[]) => {
  const names = await ctx.listNames();
  if (!names.some((t) => t.name === ctx.name('read_notes')))
    throw new RedteamError(
      'REDTEAM_SETUP_FAILED',
      `the hostile server's tools are not listed, so no attack could run; gateway log:\n${stderr.join('').slice(-2000)}`,
    );
};

/**
 * Runs every attack against a gateway with the user's defenses and toolgate's hostile servers: the
 * lock (when the user requires one) is taken before the hostile server changes a definition.
 */
export const redteam = async (config: Config, configPath: string): Promise<RedteamReport> => {
  const canary = await startCanary();
  const stage = makeStage(config, configPath, canary.port);
  const lockNotes: string[] = [];
  try {
    if (stage.lockRequired) {
      const locked = await toolgate(['lock', '--config', stage.configPath], stage);
      // Exit 1 with a lock written is the lock refusing a hostile server: that is a defense at work.
      if (!existsSync(stage.lockPath))
        throw new RedteamError(
          'REDTEAM_SETUP_FAILED',
          `toolgate lock failed on the red-team config:\n${locked.output}`,
        );
      lockNotes.push(...locked.output.split('\n').filter((l) => /LOCK_[A-Z_]+/.test(l)));
    }
    writeFileSync(stage.rugFile, 'changed after the lock');
    const { client, stderr } = await connect(stage);
    try {
      const ctx = makeContext(client, stage, canary, lockNotes);
      await expectHostile(ctx, stderr);
      const results: AttackResult[] = [];
      for (const attack of ATTACKS) {
        // An attack that cannot run proves nothing: it counts against the deployment, never for it.
        const verdict = await attack.run(ctx).catch((error: unknown) => ({
          blocked: false,
          evidence: `inconclusive, the attack could not run: ${(error as Error).message.slice(0, 160)}`,
        }));
        results.push({ id: attack.id, title: attack.title, ...verdict });
      }
      const front = await attackFront(MAIN, stage.configPath, childEnv(stage)).catch(
        (error: unknown) =>
          ['dns-rebinding', 'cross-origin'].map((id) => ({
            id,
            title: `HTTP front: ${id}`,
            blocked: false,
            evidence: `inconclusive, the attack could not run: ${(error as Error).message.slice(0, 160)}`,
          })),
      );
      return { posture: stage.posture, results: [...results, ...front] };
    } finally {
      await client.close();
    }
  } finally {
    canary.server.close();
    rmSync(stage.dir, { recursive: true, force: true });
  }
};
