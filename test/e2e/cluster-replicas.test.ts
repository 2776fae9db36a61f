import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { errorOf } from './harness.js';
import {
  dataCode,
  everything,
  JSON_HEADERS,
  messagesOf,
  openLegacySession,
  raw,
  root,
  startServe,
  tempDir,
  type ServeProcess,
} from './gateway-process.js';

/** The machine's Postgres and Redis (`.ci/run` checks both are reachable). */
const POSTGRES = process.env['TOOLGATE_TEST_POSTGRES'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = process.env['TOOLGATE_TEST_REDIS'] ?? 'redis://127.0.0.1:6379';

const run = promisify(execFile);
const toolgate = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await run('node', [join(root, 'bin/toolgate.js'), ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

const id = randomBytes(6).toString('hex');
const schema = `tg_e2e_${id}`;
const prefix = `tg-e2e-${id}:`;
const dir = tempDir();
const file = join(dir, 'toolgate.json');
/** Calls whose message starts with "ask" wait for a human (an operator, through the Redis queue). */
writeFileSync(
  join(dir, 'ask.cedar'),
  `permit (principal, action, resource);
@id("ask-first") @ask("a message that asks")
forbid (principal, action == Toolgate::Action::"tools/call", resource)
when { context.arguments.hasTag("message") && context.arguments.getTag("message") like "ask*" };
`,
);
const config = {
  servers: { everything: { ...everything, tools: ['echo'] } },
  policy: { files: ['ask.cedar'] },
  approval: { queue: true, timeoutMs: 60_000 },
  audit: {
    store: 'postgres',
    url: POSTGRES,
    schema,
    keyFile: join(dir, 'audit.key'),
    publicKeyFile: join(dir, 'audit.pub'),
    checkpoint: { everyEntries: 5 },
    clear: { everything: ['echo'] },
  },
  cluster: { redis: REDIS, prefix },
};
const replica = (name: string) =>
  startServe(config, '127.0.0.1:0', { file, env: { TOOLGATE_REPLICA: name }, startMs: 120_000 });

const open: Client[] = [];
const connect = async (url: string, era: '2025' | '2026') => {
  const client = new Client(
    { name: `cluster-${era}`, version: '1.0.0' },
    era === '2026' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  open.push(client);
  return { client, transport };
};
const echo = async (client: Client, message: string): Promise<string> => {
  const result = (await client.callTool({ name: 'everything__echo', arguments: { message } })) as {
    content: { text: string }[];
  };
  return result.content[0]?.text ?? '';
};
/** A 2025-era request for `session` on the replica at `url`: what a client whose replica died sends. */
const inSession = (url: string, session: string) =>
  raw(url, {
    headers: { ...JSON_HEADERS, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });

const replicas: ServeProcess[] = [];
afterAll(async () => {
  await Promise.all(open.map((c) => c.close().catch(() => undefined)));
  await Promise.all(replicas.map((r) => r.stop()));
  const db = new pg.Client(POSTGRES);
  await db.connect();
  await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await db.end();
  const redis = new Redis(REDIS);
  const stale = await redis.keys(`${prefix}*`);
  if (stale.length > 0) await redis.del(...stale);
  redis.disconnect();
});

describe('two replicas of toolgate serve, one killed mid-traffic', () => {
  const answered: string[] = [];

  it('[CLU-1] [CLU-6] serve both protocol eras on both replicas, survive a SIGKILL of one, and take it back after its restart', async () => {
    const [a, b] = [await replica('replica-a'), await replica('replica-b')];
    replicas.push(a, b);
    const clients = await Promise.all([
      connect(a.url, '2025'),
      connect(a.url, '2026'),
      connect(b.url, '2025'),
      connect(b.url, '2026'),
    ]);
    expect(clients[0].transport.sessionId).toMatch(/^replica-a\./);
    expect(clients[2].transport.sessionId).toMatch(/^replica-b\./);
    // A session belongs to the replica that opened it: the other one answers 404 (the client starts anew).
    const ofA = await openLegacySession(a.url);
    const elsewhere = await inSession(b.url, ofA);
    expect(elsewhere.status).toBe(404);
    expect(dataCode(messagesOf(elsewhere)[0])).toBe('HTTP_SESSION_UNKNOWN');

    // Traffic over all four clients; replica A is killed once 24 calls were answered.
    let n = 0;
    let killed = false;
    const failedOnA: unknown[] = [];
    const traffic = async (c: number) => {
      for (let i = 0; i < 12; i++) {
        const message = `m${c}-${n++}`;
        const client = clients[c]?.client as Client;
        try {
          expect(await echo(client, message)).toBe(`Echo: ${message}`);
          answered.push(message);
        } catch (error) {
          if (c >= 2 || !killed) throw error; // only replica A's calls may fail, and only once it is dead
          failedOnA.push(error);
        }
        if (answered.length >= 24 && !killed) {
          killed = true;
          a.proc.kill('SIGKILL');
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(traffic));
    expect(killed).toBe(true);
    expect(failedOnA.length).toBeGreaterThan(0);
    expect(await a.stop()).toBe('SIGKILL');
    // Replica B kept serving through it, and still does.
    expect(await echo(clients[2].client, 'after-kill-2025')).toBe('Echo: after-kill-2025');
    expect(await echo(clients[3].client, 'after-kill-2026')).toBe('Echo: after-kill-2026');
    answered.push('after-kill-2025', 'after-kill-2026');

    // Restarted under the same name, A serves again; its old sessions are gone (404: start a new one).
    const again = await replica('replica-a');
    replicas.push(again);
    const gone = await inSession(again.url, ofA);
    expect(gone.status).toBe(404);
    for (const era of ['2025', '2026'] as const) {
      const { client } = await connect(again.url, era);
      expect(await echo(client, `restarted-${era}`)).toBe(`Echo: restarted-${era}`);
      answered.push(`restarted-${era}`);
    }
  }, 480_000);

  it('[CLU-5] [APPR-2] holds a call on one replica until an operator answers through Redis', async () => {
    const live = replicas.filter((r) => r.proc.exitCode === null && r.proc.signalCode === null);
    const { client } = await connect(live[0]?.url ?? '', '2026');
    for (const answer of ['approve', 'deny'] as const) {
      const asking = echo(client, `ask-${answer}`);
      asking.catch(() => undefined);
      let waiting: { id: string; item: string }[] = [];
      for (let tries = 0; waiting.length === 0; tries++) {
        const listed = await toolgate('approvals', 'list', '--config', file, '--format', 'json');
        expect(listed.code, listed.stderr).toBe(0);
        waiting = JSON.parse(listed.stdout) as typeof waiting;
        expect(tries).toBeLessThan(200);
      }
      expect(waiting[0]?.item).toBe('echo');
      const given = await toolgate('approvals', answer, waiting[0]?.id ?? '', '--config', file);
      expect(given.code, given.stderr).toBe(0);
      if (answer === 'approve') {
        expect(await asking).toBe('Echo: ask-approve');
        answered.push('ask-approve');
      } else expect((await errorOf(asking)).data?.code).toBe('APPROVAL_DENIED');
    }
  }, 180_000);

  it('[CLU-1] [AUD-4] leaves one log that verifies, with every answered call in it exactly once', async () => {
    await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
    await Promise.all(replicas.map((r) => r.stop()));
    const verified = await toolgate('audit', 'verify', '--config', file);
    expect(verified.stdout).toMatch(/^ok: \d+ entries, \d+ checkpoints/);
    expect(verified.code).toBe(0);
    const results = await toolgate('audit', 'query', '--config', file, '--decision', 'result');
    const bodies = results.stdout.trim().split('\n');
    for (const message of answered)
      expect(bodies.filter((b) => b.includes(`"Echo: ${message}"`))).toHaveLength(1);
    const calls = bodies.map((b) => (JSON.parse(b) as { call: string }).call);
    expect(new Set(calls).size).toBe(calls.length);
  }, 120_000);
});

describe('a replica whose shared audit log is unreachable at start', () => {
  it('[CLU-7] does not start: it exits with AUDIT_STORE_UNAVAILABLE before it listens', async () => {
    const dead = join(tempDir(), 'toolgate.json');
    writeFileSync(
      dead,
      JSON.stringify({
        servers: { everything },
        audit: { store: 'postgres', url: 'postgres://postgres@127.0.0.1:1/test', schema },
      }),
    );
    const refused = await toolgate(
      'serve',
      '--no-lock',
      '--config',
      dead,
      '--listen',
      '127.0.0.1:0',
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('AUDIT_STORE_UNAVAILABLE');
    expect(refused.stderr).not.toContain('gateway listening');
  }, 60_000);
});
