import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createKeys, loadKeys } from './keys.js';
import { AuditLog } from './log.js';
import { openJsonlStore } from './store-jsonl.js';

describe('when a gateway resumes a JSONL log', () => {
  it('[AUD-4] streams exactly the entries a full read gives, whatever their sizes and characters (property)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-audit-stream-'));
    // Lines long enough to straddle the 64 KiB read chunks, multi-byte characters, checkpoint lines,
    // and a last line without its newline (a write cut short).
    const line = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }).map((t) => JSON.stringify({ v: 1, text: t })),
      fc
        .integer({ min: 60_000, max: 140_000 })
        .map((n) => JSON.stringify({ v: 1, text: 'é€𝄞x'.repeat(Math.ceil(n / 8)) })),
      fc.constant(JSON.stringify({ checkpoint: 'origin\n3\nroot\n' })),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), (lines, cut) => {
        const path = join(dir, 'audit.jsonl');
        writeFileSync(path, lines.map((l) => l + '\n').join(''));
        if (cut) appendFileSync(path, '{"v":1,"partial":tru');
        const store = openJsonlStore(path, 'normal', true);
        expect([...store.eachEntry()]).toEqual(store.entries());
      }),
      { numRuns: 60 },
    );
  });
});

/** A store in a fresh folder, with `n` lines written. */
const storeWith = (n: number, dir = mkdtempSync(join(tmpdir(), 'toolgate-audit-jsonl-'))) => {
  const path = join(dir, 'audit.jsonl');
  const store = openJsonlStore(path, 'normal');
  for (let i = 0; i < n; i++) void store.append({ seq: i, body: JSON.stringify({ n: i }) });
  store.flush?.();
  return { dir, path, store };
};

describe('when the disk stops taking the log part way through a write', () => {
  const mounts: string[] = [];
  afterAll(() => {
    for (const m of mounts) execFileSync('umount', ['-l', m]);
  });

  it('[AUD-9] cuts the short write back to the last whole line, keeps the lines pending, and writes them all in order once there is room (needs root: mounts a small tmpfs)', () => {
    const disk = mkdtempSync(join(tmpdir(), 'toolgate-audit-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk]);
    mounts.push(disk);
    const { path, store } = storeWith(1, disk);
    // Fill the rest of the file system; the log's last page keeps some room.
    const filler = openSync(join(disk, 'filler'), 'w');
    try {
      for (;;) writeSync(filler, Buffer.alloc(4096, 1));
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      closeSync(filler);
    }
    const lines = [JSON.stringify({ n: 0 })];
    let failure: Error | undefined;
    for (let i = 1; !failure && i < 1000; i++) {
      const body = JSON.stringify({ n: i, pad: 'x'.repeat(300) });
      void store.append({ seq: i, body });
      lines.push(body);
      try {
        store.flush?.();
      } catch (error) {
        failure = error as Error;
      }
    }
    expect(failure?.message).toMatch(/took \d+ of \d+ bytes|ENOSPC/);
    const cut = readFileSync(path, 'utf8');
    expect(cut.endsWith('\n')).toBe(true);
    expect(cut).not.toContain('\u0000');
    expect(() => store.append({ seq: lines.length, body: '{"n":"refused"}' })).toThrow(); // fails while the lines wait
    expect(() => store.flush?.()).toThrow();

    rmSync(join(disk, 'filler'));
    store.flush?.();
    store.close();
    expect(readFileSync(path, 'utf8')).toBe(lines.map((l) => l + '\n').join(''));
  });
});

/** Lets the current task end (the store looks its path up again in the next one). */
const nextTask = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('when the log file is deleted, moved away or replaced under a running store', () => {
  it('[AUD-10] refuses to write until the very file it opened (same device and inode) is back at its path', async () => {
    const { dir, path, store } = storeWith(1);
    await nextTask();
    renameSync(path, `${path}.away`);
    void store.append({ seq: 1, body: '{"n":1}' });
    expect(() => store.flush?.()).toThrow(/gone/);
    writeFileSync(path, ''); // a new, empty file at the path is not the log
    expect(() => store.flush?.()).toThrow(/replaced/);
    expect(() => store.append({ seq: 2, body: '{"n":2}' })).toThrow(/replaced/);
    renameSync(`${path}.away`, path);
    store.flush?.();
    expect(readFileSync(path, 'utf8')).toBe('{"n":0}\n{"n":1}\n');
    await nextTask();
    rmSync(dir, { recursive: true });
    expect(() => store.flush?.()).not.toThrow(); // nothing pending: nothing to refuse
    void store.append({ seq: 2, body: '{"n":2}' });
    expect(() => store.close()).toThrow(/gone/); // what was not written is said, and the descriptor is closed
  });

  it('[AUD-10] looks the path up once per task: a deletion before a task began is seen by its first write', async () => {
    const { path, store } = storeWith(1);
    // Messages that leave in one task were received before it began: one lookup covers their writes.
    void store.append({ seq: 1, body: '{"n":1}' });
    store.flush?.();
    rmSync(path);
    void store.append({ seq: 2, body: '{"n":2}' });
    expect(() => store.flush?.()).not.toThrow();
    // The next task (any message received after the deletion) looks again, before its first write.
    await nextTask();
    void store.append({ seq: 3, body: '{"n":3}' });
    expect(() => store.flush?.()).toThrow(/gone/);
    expect(() => store.close()).toThrow(/gone/);
  });

  it('[AUD-10] a log closed with lines it could not write warns and does not throw (no crash at shutdown)', () => {
    const { dir, store } = storeWith(0);
    const keyDir = mkdtempSync(join(tmpdir(), 'toolgate-audit-keys-'));
    createKeys(join(keyDir, 'key'), join(keyDir, 'key.pub'), 'test.example/audit');
    const warnings: string[] = [];
    const log = new AuditLog(store, {
      signer: loadKeys(join(keyDir, 'key')).signer,
      origin: 'test.example/audit',
      everyEntries: 1000,
      everySeconds: 3600,
      onWarning: (w) => warnings.push(w),
    });
    void log.append({ decision: 'event', event: { kind: 'test' } });
    rmSync(dir, { recursive: true });
    expect(() => log.close()).not.toThrow();
    expect(warnings.join('\n')).toMatch(/not written at close.*gone/);
  });
});

describe('when a gateway opens a log whose last line was torn (power loss)', () => {
  it('[AUD-9] cuts the unfinished line, so the next entry starts a line of its own', () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-audit-torn-'));
    const path = join(dir, 'audit.jsonl');
    writeFileSync(path, '{"n":0}\n{"n":1,"par');
    const store = openJsonlStore(path, 'normal');
    void store.append({ seq: 1, body: '{"n":1}' });
    store.close();
    expect(readFileSync(path, 'utf8')).toBe('{"n":0}\n{"n":1}\n');
  });
});
