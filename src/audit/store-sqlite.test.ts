import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MOVER_NICE, MOVER_POLL_MS, WAL_CHECKPOINT_ENTRIES } from './mover.js';
import { checkpointLine, mergeSpooled, parseSpool, parseSpoolCheckpoints, SPOOL_BATCH, SPOOL_ROTATE_BYTES, spoolPathOf } from './spool.js';
import type { StoredEntry } from './store.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDb = () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-spool-'));
  dirs.push(dir);
  return join(dir, 'audit.db');
};

/**
 * Runs `body` in a child process with `openSqliteStore` (from the build) in scope: better-sqlite3 12 on
 * Node 24 aborts a vitest worker that finalizes one of its handles, so workers never open one. The
 * bodies keep every handle and statement they make reachable and close them, for the same reason.
 */
const child = (body: string, ...args: string[]) => childWith([], body, ...args);
const childWith = (nodeOptions: readonly string[], body: string, ...args: string[]) => {
  const script = `const { openSqliteStore } = await import(${JSON.stringify(join(ROOT, 'dist/src/audit/store-sqlite.js'))});
const args = process.argv.slice(1);
const out = (v) => process.stdout.write(JSON.stringify(v));
// Polls \`done\` (the mover works on its own thread) for up to 5 s.
const until = async (done) => { for (const end = Date.now() + 5000; ; await new Promise((r) => setTimeout(r, 5))) { if (done()) return true; if (Date.now() >= end) return false; } };
${body}`;
  const r = spawnSync(process.execPath, [...nodeOptions, '--input-type=module', '-e', script, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, signal: r.signal, stderr: r.stderr, out: r.stdout ? (JSON.parse(r.stdout) as unknown) : undefined };
};

const entry = (seq: number): StoredEntry => ({ seq, body: `{"n":${seq}}` });

describe('the spool of the SQLite store', () => {
  it('[AUD-7] a turn\'s appends reach the spool in one write, when a way out flushes them or at the end of the turn; a killed process leaves them there, readers see them, and the next writer moves them into the table', () => {
    const db = tempDb();
    // Appends fewer than a batch, then dies before the timer moves them.
    const killed = child(`const { readFileSync } = await import('node:fs');
const lines = () => readFileSync(args[0] + '-spool', 'utf8').split('\\n').filter(Boolean).length;
const store = openSqliteStore(args[0], 'normal');
for (let i = 0; i < 10; i++) store.append({ seq: i, body: '{"n":' + i + '}' });
const pending = lines();
store.flush(); // what every way out of the gateway does before a message leaves
const flushed = lines();
for (let i = 10; i < 20; i++) store.append({ seq: i, body: '{"n":' + i + '}' });
const pendingAgain = lines();
await new Promise((r) => setImmediate(r)); // the end of the turn
out({ pending, flushed, pendingAgain, atTurnEnd: lines() });
process.kill(process.pid, 'SIGKILL');`, db);
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.out).toEqual({ pending: 0, flushed: 10, pendingAgain: 10, atTurnEnd: 20 });
    expect(parseSpool(readFileSync(spoolPathOf(db), 'utf8'))).toEqual(Array.from({ length: 20 }, (_, i) => entry(i)));

    const read = child(`const store = openSqliteStore(args[0], 'normal', true);
out({ entries: store.entries(), streamed: [...store.eachEntry()] });
store.close();`, db);
    expect(read.out).toEqual({ entries: Array.from({ length: 20 }, (_, i) => entry(i)), streamed: Array.from({ length: 20 }, (_, i) => entry(i)) });

    const resumed = child(`const Database = (await import('better-sqlite3')).default;
const store = openSqliteStore(args[0], 'normal');
const reader = new Database(args[0], { readonly: true });
const count = reader.prepare('SELECT count(*) FROM entries').pluck();
const all = reader.prepare('SELECT seq, body FROM entries ORDER BY seq');
const inTable = count.get();
store.append({ seq: 20, body: '{"n":20}' });
store.close();
out({ inTable, final: all.all() });
reader.close();`, db);
    expect(resumed.stderr).toBe('');
    expect(resumed.out).toEqual({ inTable: 20, final: Array.from({ length: 21 }, (_, i) => entry(i)) });
    expect(existsSync(spoolPathOf(db))).toBe(false); // a clean close leaves everything in the table
  });

  it(`[AUD-7] the mover copies the spool into the table off the store's thread (it looks every ${MOVER_POLL_MS} ms, never woken by the store's thread); past ${SPOOL_ROTATE_BYTES} bytes the spool starts again with what it has not copied`, () => {
    const r = child(`const Database = (await import('better-sqlite3')).default;
const { readFileSync } = await import('node:fs');
const store = openSqliteStore(args[0], 'normal');
const reader = new Database(args[0], { readonly: true });
const counter = reader.prepare('SELECT count(*) FROM entries').pluck();
const count = () => counter.get();
const spooled = () => readFileSync(args[0] + '-spool', 'utf8').split('\\n').filter(Boolean).length;
// The mover looks on its own: it copies while this thread is blocked and never yields.
for (let i = 0; i < ${SPOOL_BATCH}; i++) store.append({ seq: i, body: '{"n":' + i + '}' });
store.flush();
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
const whileBlocked = count();
// A few more lines: copied at its next look.
const n = ${SPOOL_BATCH} + 3;
for (let i = ${SPOOL_BATCH}; i < n; i++) store.append({ seq: i, body: '{"n":' + i + '}' });
await until(() => count() === n);
const afterLook = { table: count(), spool: spooled() };
// Big entries fill the spool past its size: once they are copied, a new spool starts without them.
const big = '{"pad":"' + 'x'.repeat(${SPOOL_ROTATE_BYTES} / 4) + '"}';
for (let i = n; i < n + 5; i++) store.append({ seq: i, body: big });
await until(() => count() === n + 5 && spooled() === 0);
const afterRotation = { table: count(), spool: spooled() };
store.append({ seq: n + 5, body: '{"n":' + (n + 5) + '}' });
const seqs = store.entries().map((e) => e.seq);
out({ whileBlocked, afterLook, afterRotation, spoolNow: spooled(), gapless: seqs.every((s, i) => s === i), same: JSON.stringify(store.entries()) === JSON.stringify([...store.eachEntry()]), size: seqs.length });
store.close();
reader.close();`, tempDb());
    expect(r.stderr).toBe('');
    expect(r.out).toEqual({
      whileBlocked: SPOOL_BATCH,
      afterLook: { table: SPOOL_BATCH + 3, spool: SPOOL_BATCH + 3 }, // copied, and still in the spool (readers skip them)
      afterRotation: { table: SPOOL_BATCH + 8, spool: 0 },
      spoolNow: 1,
      gapless: true,
      same: true,
      size: SPOOL_BATCH + 9,
    });
  });

  it('[AUD-7] a reader sees every entry once, in order, at each turn while the mover copies; signed checkpoints go through the spool too, and a kill leaves none behind', () => {
    const db = tempDb();
    const n = 3 * SPOOL_BATCH + 5;
    const r = child(`const Database = (await import('better-sqlite3')).default;
const store = openSqliteStore(args[0], 'normal');
const reader = openSqliteStore(args[0], 'normal', true);
const table = new Database(args[0], { readonly: true });
const counter = table.prepare('SELECT count(*) FROM entries').pluck();
for (let i = 0; i < ${n}; i++) store.append({ seq: i, body: '{"n":' + i + '}' });
store.appendCheckpoint(${n}, 'signed\\nnote');
const views = [];
// One sample per turn of the event loop, until the mover has copied everything.
while (counter.get() !== ${n}) {
  await new Promise((r) => setImmediate(r));
  views.push(reader.entries().map((e) => e.seq).join(','));
}
out({ views: [...new Set(views)], checkpoints: reader.checkpoints() });
process.kill(process.pid, 'SIGKILL');`, db);
    expect(r.signal).toBe('SIGKILL');
    const { views, checkpoints } = r.out as { views: string[]; checkpoints: string[] };
    expect(views).toEqual([Array.from({ length: n }, (_, i) => i).join(',')]); // every entry, once, in order, at every turn
    expect(checkpoints).toEqual(['signed\nnote']);
    // The next writer copies what the killed one's mover had not, and never a checkpoint twice.
    const resumed = child(`const store = openSqliteStore(args[0], 'normal');
store.close();
const again = openSqliteStore(args[0], 'normal');
out({ seqs: again.entries().map((e) => e.seq), checkpoints: again.checkpoints() });
again.close();`, db);
    expect(resumed.stderr).toBe('');
    expect(resumed.out).toEqual({ seqs: Array.from({ length: n }, (_, i) => i), checkpoints: ['signed\nnote'] });
  });

  it('[AUD-2] a database that refuses the copy fails every later append until the mover copies again; no spooled entry is lost', () => {
    const db = tempDb();
    const r = child(`const Database = (await import('better-sqlite3')).default;
const store = openSqliteStore(args[0], 'normal');
for (let i = 0; i < 5; i++) store.append({ seq: i, body: '{"n":' + i + '}' });
// Another connection holds the write lock: the mover's copy cannot commit.
const other = new Database(args[0]);
other.exec('PRAGMA busy_timeout = 0; BEGIN IMMEDIATE');
const errors = [];
let next = 5;
const attempt = () => { try { store.append({ seq: next, body: '{"n":' + next + '}' }); next++; return true; } catch (e) { errors.push(e.message); return false; } };
// Appends go through until the mover has waited for the lock and reported its failure.
const whileLocked = !(await until(() => !attempt()));
other.exec('COMMIT');
const recovered = await until(attempt); // the mover tries again and copies: appends go through again
const entries = store.entries();
store.close();
other.close();
out({ whileLocked, recovered, errors: [...new Set(errors)], entries, next });`, db);
    expect(r.stderr).toBe('');
    const out = r.out as { whileLocked: boolean; recovered: boolean; errors: string[]; entries: StoredEntry[]; next: number };
    expect(out.whileLocked).toBe(false);
    expect(out.recovered).toBe(true);
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0]).toMatch(/locked|busy/i);
    expect(out.entries).toEqual(Array.from({ length: out.next }, (_, i) => entry(i)));
  });

  it('[AUD-2] a spool that cannot be replaced (its next file cannot be made) fails later appends until it can; no entry is lost', () => {
    const db = tempDb();
    const r = child(`const { mkdirSync, rmdirSync, readFileSync } = await import('node:fs');
const lines = () => readFileSync(args[0] + '-spool', 'utf8').split('\\n').filter(Boolean).length;
const store = openSqliteStore(args[0], 'normal');
mkdirSync(args[0] + '-spool.next'); // where the replacement is written: a directory, so opening it fails (EISDIR)
const big = (i) => '{"n":' + i + ',"pad":"' + 'x'.repeat(${SPOOL_ROTATE_BYTES} / 4) + '"}';
for (let i = 0; i < 5; i++) store.append({ seq: i, body: big(i) }); // past the size at which a move replaces the spool
const Database = (await import('better-sqlite3')).default;
const table = new Database(args[0], { readonly: true });
const count = table.prepare('SELECT count(*) FROM entries').pluck();
await until(() => count.get() === 5); // the mover copied them and reports it: replacing the spool fails
await new Promise((r) => setTimeout(r, 100));
table.close();
const errors = [];
try { store.append({ seq: 5, body: '{"n":5}' }); } catch (e) { errors.push(e.code + ' ' + e.message); }
const whileFailed = lines();
rmdirSync(args[0] + '-spool.next');
store.append({ seq: 5, body: '{"n":5}' }); // the spool is replaced now, then this entry is spooled
store.flush();
const after = lines();
const seqs = store.entries().map((e) => e.seq);
store.close();
out({ errors, whileFailed, after, seqs });`, db);
    expect(r.stderr).toBe('');
    const out = r.out as { errors: string[]; whileFailed: number; after: number; seqs: number[] };
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0]).toMatch(/EISDIR/);
    expect(out.whileFailed).toBe(5); // the old spool is still in place, with every entry
    expect(out.after).toBe(1);
    expect(out.seqs).toEqual([0, 1, 2, 3, 4, 5]);
    const reopened = child(`const store = openSqliteStore(args[0], 'normal', true);
out(store.entries().map((e) => e.seq));
store.close();`, db);
    expect(reopened.out).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('[AUD-2] a group write the disk refuses keeps its lines pending: later appends fail until they are written, then everything is there in order (needs root: chattr +i)', () => {
    const r = child(`const { execFileSync } = await import('node:child_process');
const { readFileSync } = await import('node:fs');
const spool = args[0] + '-spool';
const lines = () => readFileSync(spool, 'utf8').split('\\n').filter(Boolean).length;
const store = openSqliteStore(args[0], 'normal');
store.append({ seq: 0, body: '{"n":0}' });
store.flush();
store.append({ seq: 1, body: '{"n":1}' });
store.append({ seq: 2, body: '{"n":2}' });
execFileSync('chattr', ['+i', spool]); // an immutable file: every write to it fails (EPERM), as a broken disk's would
const errors = [];
let whileFailed;
try {
  try { store.flush(); } catch (e) { errors.push(e.code); }
  try { store.append({ seq: 3, body: '{"n":3}' }); } catch (e) { errors.push(e.code); } // it tries the pending lines first
  whileFailed = lines();
} finally {
  execFileSync('chattr', ['-i', spool]);
}
store.append({ seq: 3, body: '{"n":3}' }); // the pending lines are written first
store.flush();
const spooled = lines();
const seqs = store.entries().map((e) => e.seq);
store.close();
out({ errors, whileFailed, spooled, seqs });`, tempDb());
    expect(r.stderr).toBe('');
    expect(r.out).toEqual({ errors: ['EPERM', 'EPERM'], whileFailed: 1, spooled: 4, seqs: [0, 1, 2, 3] });
  });

  it('[AUD-2] a checkpoint whose line the disk refuses is not copied to the witness (the witness never holds one the log could lose); later ones are (needs root: chattr +i)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-witness-'));
    dirs.push(dir);
    const r = child(`const { execFileSync } = await import('node:child_process');
const { existsSync, readFileSync } = await import('node:fs');
const { join } = await import('node:path');
const { AuditLog } = await import(join(args[1], 'log.js'));
const { createKeys, loadKeys } = await import(join(args[1], 'keys.js'));
const { checkpointSize: sizeOf } = await import(join(args[1], 'checkpoint.js'));
const spool = args[0] + '-spool';
const origin = 'test.example/audit';
createKeys(join(args[2], 'key'), join(args[2], 'key.pub'), origin);
const witness = join(args[2], 'witness');
const witnessed = () => (existsSync(witness) ? readFileSync(witness, 'utf8').split('\\n').filter(Boolean).map((line) => sizeOf(JSON.parse(line).checkpoint)) : []);
const warnings = [];
const log = new AuditLog(openSqliteStore(args[0], 'normal'), { signer: loadKeys(join(args[2], 'key')).signer, origin, everyEntries: 1000, everySeconds: 3600, witnessFile: witness, onWarning: (m) => warnings.push(m) });
const fields = { decision: 'forward', server: 's', method: 'tools/call' };
log.append(fields);
log.checkpoint();
const first = witnessed();
log.append(fields);
execFileSync('chattr', ['+i', spool]);
try {
  log.checkpoint(); // its line stays pending with the entry's
} finally {
  execFileSync('chattr', ['-i', spool]);
}
const refused = witnessed();
log.append(fields); // writes the pending lines first
log.checkpoint();
const after = witnessed();
log.close();
const read = openSqliteStore(args[0], 'normal', true);
const stored = read.checkpoints().map(sizeOf);
read.close();
out({ first, refused, after, stored, warnings: warnings.map((w) => w.split(':')[0]) });`, tempDb(), join(ROOT, 'dist/src/audit'), dir);
    expect(r.stderr).toBe('');
    expect(r.out).toEqual({
      first: [1],
      refused: [1],
      after: [1, 3],
      stored: [1, 2, 3], // the refused checkpoint is in the log once the disk takes it, never in the witness
      warnings: ['audit checkpoint at size 2 not written, so not copied to the witness'],
    });
  });

  it('[AUD-2] a group write that comes up short (file size limit) is cut back to the last whole line and written again whole once it can be', () => {
    const r = child(`const { execFileSync } = await import('node:child_process');
const { readFileSync, statSync } = await import('node:fs');
const spool = args[0] + '-spool';
const text = () => readFileSync(spool, 'utf8');
const store = openSqliteStore(args[0], 'normal');
const pad = 'x'.repeat(1000);
for (let i = 0; i < 50; i++) store.append({ seq: i, body: '{"n":' + i + ',"pad":"' + pad + '"}' });
store.flush();
const whole = statSync(spool).size;
// RLIMIT_FSIZE just past 50 lines: a write of 20 more stops at the limit (Node ignores SIGXFSZ).
execFileSync('prlimit', ['--pid', String(process.pid), '--fsize=' + (whole + 4096) + ':unlimited']);
const errors = [];
let afterShort;
try {
  for (let i = 50; i < 70; i++) store.append({ seq: i, body: '{"n":' + i + ',"pad":"' + pad + '"}' });
  try { store.flush(); } catch (e) { errors.push(e.message); }
  afterShort = { size: statSync(spool).size, endsWhole: text().endsWith('\\n') };
} finally {
  execFileSync('prlimit', ['--pid', String(process.pid), '--fsize=unlimited:unlimited']);
}
store.flush();
const seqs = store.entries().map((e) => e.seq);
const spooled = text().split('\\n').filter(Boolean).length;
store.close();
out({ whole, errors, afterShort, spooled, seqs });`, tempDb());
    expect(r.stderr).toBe('');
    const out = r.out as { whole: number; errors: string[]; afterShort: { size: number; endsWhole: boolean }; spooled: number; seqs: number[] };
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0]).toMatch(/the spool took 4096 of \d+ bytes/);
    expect(out.afterShort).toEqual({ size: out.whole, endsWhole: true }); // no torn line
    expect(out.spooled).toBe(70);
    expect(out.seqs).toEqual(Array.from({ length: 70 }, (_, i) => i));
  });

  it('[AUD-2] a tampered spool that repeats a number refuses the writer (the gateway then denies every call); a reader still reads it', () => {
    const db = tempDb();
    const made = child(`const store = openSqliteStore(args[0], 'normal');
store.close();`, db);
    expect(made.stderr).toBe('');
    writeFileSync(spoolPathOf(db), '0 {"n":0}\n1 {"n":1}\n1 {"n":"again"}\n');
    const writer = child(`try { openSqliteStore(args[0], 'normal'); out({ opened: true }); } catch (e) { out({ opened: false, error: e.message }); }`, db);
    expect(writer.out).toMatchObject({ opened: false, error: expect.stringMatching(/UNIQUE|constraint/i) });
    const reader = child(`const store = openSqliteStore(args[0], 'normal', true);
out(store.entries());
store.close();`, db);
    expect(reader.out).toEqual([entry(0), entry(1)]);
  });

  it('[AUD-4] parseSpool keeps a line it cannot number (so verify reports it) and drops an unfinished last line', () => {
    expect(parseSpool('0 {"a":1}\n1 {"b":2}\n2 {"c"')).toEqual([
      { seq: 0, body: '{"a":1}' },
      { seq: 1, body: '{"b":2}' },
    ]);
    expect(parseSpool('7 {"a":1}\nx{"edited":true}\n')).toEqual([
      { seq: 7, body: '{"a":1}' },
      { seq: 8, body: 'x{"edited":true}' },
    ]);
    expect(parseSpool('-1 {"a":1}\n')).toEqual([{ seq: 0, body: '-1 {"a":1}' }]);
    // A text that continues another numbers its first unnumbered line after the number it is given.
    expect(parseSpool('x\n', 41)).toEqual([{ seq: 42, body: 'x' }]);
    // Checkpoint lines are no entries; a line that only looks like one is kept as an entry.
    const text = `0 {"a":1}\n${checkpointLine(1, 'origin\n1\nhash\n\n— sig')}c {"size":"one"}\n`;
    expect(parseSpool(text)).toEqual([
      { seq: 0, body: '{"a":1}' },
      { seq: 1, body: 'c {"size":"one"}' },
    ]);
    expect(parseSpoolCheckpoints(text)).toEqual([{ size: 1, note: 'origin\n1\nhash\n\n— sig' }]);
  });

  it('[AUD-7] a reader that takes the spool, then the table, gets a gapless prefix of the log however a move interleaves (property)', () => {
    // The writer's state is (table: 0..t-1, spool generation: g..s-1 with g ≤ t). A move puts every
    // pending entry into the table (t = s) and keeps the spool; a rotation starts a new generation with
    // the entries still pending (g = t). The reader reads the spool at one moment, the table at a later
    // one (after any number of moves, rotations and appends).
    fc.assert(
      fc.property(fc.array(fc.constantFrom('append' as const, 'move' as const, 'rotate' as const), { maxLength: 60 }), fc.nat(), fc.nat(), (ops, i, j) => {
        let table = 0;
        let generation = 0;
        let size = 0;
        const snapshots: Array<{ table: number; spool: [number, number] }> = [{ table, spool: [0, 0] }];
        for (const op of ops) {
          if (op === 'append') size++;
          else if (op === 'move') table = size;
          else generation = table;
          snapshots.push({ table, spool: [generation, size] });
        }
        const n = snapshots.length;
        const spoolAt = snapshots[Math.min(i % n, j % n)] as (typeof snapshots)[number];
        const tableAt = snapshots[Math.max(i % n, j % n)] as (typeof snapshots)[number];
        const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => entry(a + k));
        const seen = [...mergeSpooled(range(0, tableAt.table), range(...spoolAt.spool))];
        expect(seen).toEqual(range(0, seen.length)); // gapless, in order, no duplicate
        expect(seen.length).toBeGreaterThanOrEqual(spoolAt.spool[1]); // nothing the spool showed is lost
      }),
      { numRuns: 2000 },
    );
  });

  const walRun = (pace: 'paced' | 'flat out', n: number) => {
    const db = tempDb();
    const body = `const body = (i) => '{"n":' + i + ',"pad":"' + 'p'.repeat(300) + '"}';`;
    // Paced: 12 000 entries a second (two per call at 6 000 calls/s, past what the gateway serves);
    // flat out: as fast as the store takes them, a turn of the event loop every 64.
    const r = child(`const { statSync } = await import('node:fs');
const store = openSqliteStore(args[0], 'normal');
${body}
let maxWal = 0;
let bytes = 0;
const t0 = performance.now();
for (let i = 0; i < ${n}; ) {
  const due = ${pace === 'paced' ? '((performance.now() - t0) / 1000) * 12000' : 'i + 64'};
  for (; i < Math.min(due, ${n}); i++) {
    store.append({ seq: i, body: body(i) });
    bytes += body(i).length;
  }
  await new Promise((r) => ${pace === 'paced' ? 'setTimeout(r, 1)' : 'setImmediate(r)'});
  try { maxWal = Math.max(maxWal, statSync(args[0] + '-wal').size); } catch {}
}
process.stdout.write(JSON.stringify({ maxWal, bytes }));
process.kill(process.pid, 'SIGKILL');`, db);
    expect(r.signal).toBe('SIGKILL');
    const resumed = child(`const store = openSqliteStore(args[0], 'normal');
${body}
const entries = store.entries();
out({ seqs: entries.every((e, i) => e.seq === i), bodies: entries.every((e) => e.body === body(e.seq)), size: entries.length });
store.close();`, db);
    expect(resumed.stderr).toBe('');
    expect(resumed.out).toEqual({ seqs: true, bodies: true, size: n });
    return r.out as { maxWal: number; bytes: number };
  };

  it('[AUD-7] the write-ahead log is checkpointed on a thread of its own: it stays bounded, and a kill mid-checkpoint loses nothing', () => {
    // The store's connection never checkpoints (wal_autocheckpoint=0): without the worker's
    // checkpoints the log would hold every moved entry, more than their bytes.
    const { maxWal, bytes } = walRun('paced', 5 * WAL_CHECKPOINT_ENTRIES);
    expect(maxWal).toBeGreaterThan(0);
    expect(maxWal).toBeLessThan(bytes / 2);
  });

  it('[AUD-7] flat out, the mover copies and checkpoints between its own commits: the write-ahead log stays bounded, and nothing is lost', () => {
    const { maxWal, bytes } = walRun('flat out', 10 * WAL_CHECKPOINT_ENTRIES);
    // A log never started over would hold every entry (more than their bytes); the mover starts it
    // over after each checkpoint, so it holds about what it copies between two (7 MB here).
    expect(maxWal).toBeGreaterThan(0);
    expect(maxWal).toBeLessThan(Math.min(bytes / 2, 12 * 1024 * 1024));
  });

  it('[AUD-2] a mover that cannot open the database reports it (the store then fails every append)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-spool-'));
    dirs.push(dir);
    const script = `const { startMover } = await import(${JSON.stringify(join(ROOT, 'dist/src/audit/mover.js'))});
const alive = setTimeout(() => {}, 15_000); // the worker is unref'd: nothing else keeps this process waiting for it
const why = await new Promise((resolve) => {
  const mover = startMover({ path: process.argv[1], spoolPath: process.argv[1] + '/spool', synchronous: 'NORMAL', moved: () => resolve('moved'), failed: resolve });
  mover.spooled(0, 10);
});
clearTimeout(alive);
process.stdout.write(JSON.stringify(why));`;
    // A directory is no database: the mover's open fails.
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, dir], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout) as string).toMatch(/unable to open database|directory/i);
  });

  it('[AUD-2] the mover starts in a process run with V8 options and as a -e script (a worker refuses both if handed them wrongly)', () => {
    const r = childWith(['--max-old-space-size=256', '--stack-size=2000'], `const store = openSqliteStore(args[0], 'normal');
for (let i = 0; i < 3; i++) store.append({ seq: i, body: '{"n":' + i + '}' });
const Database = (await import('better-sqlite3')).default;
const table = new Database(args[0], { readonly: true });
const count = table.prepare('SELECT count(*) FROM entries').pluck();
const copied = await until(() => count.get() === 3);
store.close();
table.close();
out({ copied });`, tempDb());
    expect(r.stderr).toBe('');
    expect(r.out).toEqual({ copied: true });
  });

  it('the mover thread runs at a lower CPU priority than the gateway thread (its nice value is its own)', () => {
    const r = child(`const { readdirSync, readFileSync } = await import('node:fs');
const store = openSqliteStore(args[0], 'normal');
store.append({ seq: 0, body: '{}' });
const nice = (task) => Number(readFileSync('/proc/self/task/' + task + '/stat', 'utf8').split(') ')[1].split(' ')[16]);
const others = () => readdirSync('/proc/self/task').filter((t) => t !== String(process.pid)).map(nice);
await until(() => others().some((n) => n > nice(process.pid)));
out({ main: nice(process.pid), others: others() });
store.close();`, tempDb());
    expect(r.stderr).toBe('');
    const { main, others } = r.out as { main: number; others: number[] };
    expect(others).toContain(Math.min(19, main + MOVER_NICE));
    expect(others.filter((n) => n !== main)).toHaveLength(main < 19 ? 1 : 0); // the mover alone (none lower than 19)
  });

  it('[AUD-7] with sync: full, spooled entries survive a kill too', () => {
    const db = tempDb();
    const r = child(`const store = openSqliteStore(args[0], 'full');
for (let i = 0; i < 3; i++) store.append({ seq: i, body: '{"n":' + i + '}' });
store.flush();
process.kill(process.pid, 'SIGKILL');`, db);
    expect(r.signal).toBe('SIGKILL');
    expect(parseSpool(readFileSync(spoolPathOf(db), 'utf8'))).toEqual([entry(0), entry(1), entry(2)]);
  });
});
