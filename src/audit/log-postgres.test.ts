import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { tcpRelay } from '../../test/e2e/tcp-relay.js';
import { createKeys, loadKeys, loadVerifiers } from './keys.js';
import { PostgresAuditLog } from './log-postgres.js';
import type { EntryFields } from './log.js';
import { PgLogReader } from './pg-read.js';
import { verifyLog } from './verify.js';

/** The machine's Postgres (CI and development run one: `.ci/run` checks it is reachable). */
const URL = process.env['TOOLGATE_TEST_POSTGRES'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const ORIGIN = 'test.example/audit';
const schemas: string[] = [];
const newSchema = () => {
  const name = `tg_test_${randomBytes(6).toString('hex')}`;
  schemas.push(name);
  return name;
};
afterAll(async () => {
  const client = new pg.Client(URL);
  await client.connect();
  for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await client.end();
});

const dir = mkdtempSync(join(tmpdir(), 'toolgate-pg-log-'));
createKeys(join(dir, 'key'), join(dir, 'key.pub'), ORIGIN);
const signer = loadKeys(join(dir, 'key')).signer;
const verifiers = loadVerifiers(join(dir, 'key.pub'));

const openLog = (schema: string, url = URL, everyEntries = 10) =>
  new PostgresAuditLog({ url, schema, signer, origin: ORIGIN, everyEntries, everySeconds: 3600 });
const fields = (target: string): EntryFields => ({
  decision: 'forward',
  server: 's',
  method: 'tools/call',
  principal: 'agent-a',
  target,
});
const readBack = async (schema: string) => {
  const reader = await PgLogReader.open(URL, schema);
  try {
    return await reader.log();
  } finally {
    await reader.close();
  }
};
const sql = async (text: string) => {
  const client = new pg.Client(URL);
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
};

describe('the Postgres audit log', () => {
  it('[CLU-1] stores each entry before its append resolves, in one verifiable log with signed checkpoints', async () => {
    const schema = newSchema();
    const log = openLog(schema);
    const first = await log.append(fields('t0'));
    expect(first.seq).toBe(0);
    // Committed before the promise resolved: another connection already reads it.
    expect((await readBack(schema)).entries).toHaveLength(1);
    const rest = await Promise.all(
      Array.from({ length: 24 }, (_, i) => log.append(fields(`t${i + 1}`))),
    );
    expect(rest.map((e) => e.seq)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    log.close();
    await log.flush();
    const stored = await readBack(schema);
    const report = verifyLog({ ...stored, verifiers, origin: ORIGIN });
    expect(report).toMatchObject({ ok: true, size: 25, uncovered: 0 });
    // Group commit: 24 appends of one turn took far fewer transactions (one checkpoint per 10 entries at most).
    expect(stored.checkpoints.length).toBeLessThanOrEqual(3);
  });

  it('[CLU-1] hands audit tail --follow every entry after a sequence number, however many arrived', async () => {
    const schema = newSchema();
    const log = openLog(schema, URL, 1000);
    await Promise.all(Array.from({ length: 30 }, (_, i) => log.append(fields(`t${i}`))));
    log.close();
    await log.flush();
    const reader = await PgLogReader.open(URL, schema);
    try {
      expect((await reader.after(4)).map((e) => e.seq)).toEqual(
        Array.from({ length: 25 }, (_, i) => i + 5),
      );
      expect((await reader.after(9, 3)).map((e) => e.seq)).toEqual([10, 11, 12]);
      expect(await reader.after(29)).toEqual([]);
    } finally {
      await reader.close();
    }
  });

  it('[CLU-1] takes the appends of two replicas into one log: every entry once, chained in one order', async () => {
    const schema = newSchema();
    const [a, b] = [openLog(schema, URL, 7), openLog(schema, URL, 7)];
    const appended = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).append(fields(`call-${i}`))),
    );
    a.close();
    b.close();
    await Promise.all([a.flush(), b.flush()]);
    const stored = await readBack(schema);
    expect(verifyLog({ ...stored, verifiers, origin: ORIGIN })).toMatchObject({
      ok: true,
      size: 60,
    });
    expect(new Set(appended.map((e) => e.seq)).size).toBe(60);
    const targets = stored.entries.map((e) => (JSON.parse(e.body) as { target: string }).target);
    expect(targets.sort()).toEqual(Array.from({ length: 60 }, (_, i) => `call-${i}`).sort());
  });

  it('[CLU-1] [AUD-4] reports an UPDATE of one row at that entry', async () => {
    const schema = newSchema();
    const log = openLog(schema);
    for (let i = 0; i < 12; i++) await log.append(fields(`t${i}`));
    log.close();
    await log.flush();
    await sql(
      `UPDATE "${schema}".entries SET body = replace(body, '"target":"t5"', '"target":"t6"') WHERE seq = 5`,
    );
    const report = verifyLog({ ...(await readBack(schema)), verifiers, origin: ORIGIN });
    expect(report.ok).toBe(false);
    expect(report.ok ? undefined : report.divergence.entry).toBe(5);
  });

  it('[CLU-2] [AUD-2] refuses appends with AUDIT_APPEND_FAILED while Postgres is unreachable, and takes them once it is back', async () => {
    const schema = newSchema();
    const proxy = await tcpRelay(5432);
    const log = openLog(schema, `postgres://postgres@127.0.0.1:${proxy.port}/test`);
    await log.append(fields('before'));
    await proxy.stop();
    await expect(log.append(fields('during'))).rejects.toMatchObject({
      code: 'AUDIT_APPEND_FAILED',
    });
    await proxy.start();
    await log.append(fields('after'));
    log.close();
    await log.flush();
    const stored = await readBack(schema);
    expect(verifyLog({ ...stored, verifiers, origin: ORIGIN })).toMatchObject({
      ok: true,
      size: 2,
    });
    expect(stored.entries.map((e) => (JSON.parse(e.body) as { target: string }).target)).toEqual([
      'before',
      'after',
    ]);
  });
});
