import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorOf, eventually, tempDir } from '../e2e/harness.js';
import { auditCli, entriesAt, isAlive, recorder, startGateway } from './audit-gateway.js';

/** A gateway whose audit log lives in its own folder (`logs/audit.jsonl`), in front of the recording server. */
const withLogFolder = async () => {
  const { rec, received } = recorder();
  const dir = tempDir();
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const gw = await startGateway({ servers: { rec }, audit: { path: 'logs/audit.jsonl' } }, dir);
  const call = (text: string) => gw.client.callTool({ name: 'rec__echo', arguments: { text } });
  return { rec, received, logs, gw, call };
};

describe('when the audit log is deleted, moved away or replaced while the gateway runs', () => {
  it('[AUD-10] [AUD-2] calls are refused with AUDIT_APPEND_FAILED and reach no server, a new empty file is not taken as the log, the gateway stays up and exits cleanly; a restart starts a log that verifies', async () => {
    const { rec, received, logs, gw, call } = await withLogFolder();
    await call('before');

    rmSync(logs, { recursive: true });
    // Calls sent together may be read in one task of the gateway's event loop, which looks the log's
    // path up once for all their writes: each of them must still be refused.
    const burst = await Promise.all(['deleted', 'd2', 'd3', 'd4'].map((t) => errorOf(call(t))));
    for (const refused of burst)
      expect(refused).toMatchObject({ code: -32006, data: { code: 'AUDIT_APPEND_FAILED' } });
    const gone = burst[0]!;
    await eventually(() => /gone/.test(gw.stderr.join(''))); // the cause is the operator's, not the client's
    expect(gone.message).toMatch(/not forwarded/);

    // Someone puts an empty file where the log was: it is not the log these entries chain on to.
    mkdirSync(logs);
    writeFileSync(join(logs, 'audit.jsonl'), '');
    const replaced = await errorOf(call('replaced'));
    expect(replaced).toMatchObject({ data: { code: 'AUDIT_APPEND_FAILED' } });
    await eventually(() => /replaced/.test(gw.stderr.join('')));
    expect(received()).toEqual(['before']);
    expect(isAlive(gw.pid)).toBe(true);

    await gw.client.close();
    await eventually(() => !isAlive(gw.pid), 30_000);
    const stderr = gw.stderr.join('');
    expect(stderr).toMatch(/lines not written at close/);
    expect(stderr).not.toMatch(/\n\s+at |Uncaught|ENOENT: no such file or directory, unlink/); // no crash at shutdown

    // A restart starts the log at that path anew (the empty file), and it verifies.
    const again = await startGateway(
      { servers: { rec }, audit: { path: 'logs/audit.jsonl' } },
      gw.dir,
    );
    await again.client.callTool({ name: 'rec__echo', arguments: { text: 'restarted' } });
    await again.client.close();
    await eventually(() => !isAlive(again.pid), 30_000);
    expect(received()).toEqual(['before', 'restarted']);
    const verify = auditCli(again.configPath, 'verify');
    expect(verify.code, verify.out + verify.err).toBe(0);
  }, 180_000);

  it('[AUD-10] a log folder moved away and back: calls are refused while it is away, answered once the same file is back, and the whole log verifies', async () => {
    const { received, logs, gw, call } = await withLogFolder();
    await call('before');
    renameSync(logs, `${logs}.away`);
    expect(await errorOf(call('away'))).toMatchObject({ data: { code: 'AUDIT_APPEND_FAILED' } });
    renameSync(`${logs}.away`, logs);
    await call('back');
    await gw.client.close();
    await eventually(() => !isAlive(gw.pid), 30_000);
    expect(received()).toEqual(['before', 'back']);
    const verify = auditCli(gw.configPath, 'verify');
    expect(verify.code, verify.out + verify.err).toBe(0);
    // The refused call's forward entry was pending and is written once the file is back (it records a
    // request that then could not leave); nothing is missing between the entries before and after.
    expect(
      entriesAt(join(logs, 'audit.jsonl'))
        .filter((e) => e.target === 'echo')
        .map((e) => e.decision),
    ).toEqual(['forward', 'result', 'forward', 'forward', 'result']);
  }, 180_000);
});
