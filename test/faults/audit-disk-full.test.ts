import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, tempDir } from '../e2e/harness.js';
import { auditCli, entriesAt, isAlive, recorder, startGateway } from './audit-gateway.js';

/** Fills the file system of `path` with a file there, until it takes nothing more (ENOSPC). */
const fill = (path: string) => {
  const fd = openSync(path, 'w');
  const page = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, page);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
};

type CallError = { code: number; message: string; data?: { code?: string } };

describe('when the disk under the audit log fills up while calls are served (needs root: mounts a small tmpfs)', () => {
  const mounts: string[] = [];
  afterAll(() => {
    for (const m of mounts) execFileSync('umount', ['-l', m]);
  });

  it('[AUD-9] [AUD-2] calls are answered or refused with AUDIT_APPEND_FAILED that says whether they ran, nothing unlogged leaves, the gateway stays up, and once space is back the log verifies', async () => {
    const disk = join(tempDir(), 'disk');
    mkdirSync(disk);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0777', 'tmpfs', disk]);
    mounts.push(disk);
    const logFile = join(disk, 'audit.jsonl');
    const { rec, received } = recorder();
    // Arguments in clear: the log then says by itself which texts it recorded.
    const gw = await startGateway({
      servers: { rec },
      audit: { path: logFile, clear: { rec: ['echo'] } },
    });
    const call = (text: string) => gw.client.callTool({ name: 'rec__echo', arguments: { text } });
    await call('before');

    // The log's last page has room for a few entries; the write that needs one more page comes up short.
    fill(join(disk, 'filler'));
    const answered: string[] = [];
    const refused: { text: string; error: CallError }[] = [];
    for (let i = 0; refused.length < 3 && i < 500; i++) {
      const text = `full-${i}`;
      try {
        await call(text);
        answered.push(text);
      } catch (error) {
        refused.push({ text, error: error as CallError });
      }
    }
    expect(refused.length).toBe(3);
    expect(isAlive(gw.pid)).toBe(true);
    for (const { text, error } of refused) {
      expect(error).toMatchObject({ code: -32006, data: { code: 'AUDIT_APPEND_FAILED' } });
      expect(error.message).not.toContain(logFile); // where the log is and what the OS said are the operator's
      // The client is told the truth: a call the server received is said to have run.
      if (received().includes(text)) expect(error.message).toMatch(/run on the server|ran it/);
      else expect(error.message).toMatch(/not forwarded|withheld/);
    }
    await eventually(() => /ENOSPC|no space|took \d+ of \d+ bytes/i.test(gw.stderr.join('')));
    // Whole lines only, no hole of NUL bytes where a short write was cut back.
    const now = readFileSync(logFile, 'utf8');
    expect(now.endsWith('\n')).toBe(true);
    expect(now).not.toContain('\u0000');

    rmSync(join(disk, 'filler'));
    await call('after');
    await gw.client.close();
    await eventually(() => !isAlive(gw.pid), 30_000);

    const verify = auditCli(gw.configPath, 'verify');
    expect(verify.code, verify.out + verify.err).toBe(0);
    // Nothing unlogged left: every call the server received has its forward entry, every answered call its result.
    const entries = entriesAt(logFile).filter((e) => e.target === 'echo');
    const textOf = (e: (typeof entries)[number]) =>
      String(((e['args'] as { clear?: { text?: unknown } } | undefined)?.clear ?? {}).text);
    const forwarded = new Set(entries.filter((e) => e.decision === 'forward').map(textOf));
    for (const text of received()) expect(forwarded.has(text), text).toBe(true);
    const callOf = new Map(
      entries.filter((e) => e.decision === 'forward').map((e) => [textOf(e), e.call]),
    );
    const resulted = new Set(entries.filter((e) => e.decision === 'result').map((e) => e.call));
    for (const text of ['before', ...answered, 'after'])
      expect(resulted.has(callOf.get(text)), text).toBe(true);
  }, 180_000);
});
