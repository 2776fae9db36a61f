import { close, closeSync, existsSync, fdatasyncSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { checkpointLine, entryLine, mergeSpooled, parseSpool, parseSpoolCheckpoints, readAt, SPOOL_BATCH, SPOOL_ROTATE_BYTES, spoolPathOf } from './spool.js';
import { spoolMove } from './spool-move.js';
import type { AuditStore, Durability, StoredEntry } from './store.js';
import { startMover } from './mover.js';

/**
 * Every handle and every prepared statement stays reachable for the life of the process, and none is
 * ever made on the fly: on Node 24, better-sqlite3 12 aborts the whole process when the garbage
 * collector finalizes a Statement or a Database (`Assertion failed: (env) != nullptr` in
 * `RemoveEnvironmentCleanupHook`, called from `~Statement` inside a GC weak callback; WiseLibs/better-sqlite3#1515,
 * closed unfixed for 12.x; 13.x needs Node 22). `db.pragma()` prepares a hidden statement, so pragmas
 * go through `exec`. A gateway opens one store, the CLI exits at once; only tests open many.
 */
const retained: unknown[] = [];
const keep = <T>(value: T): T => {
  retained.push(value);
  return value;
};

const PAGE = 1000;

/**
 * Every entry in rowid order, a page of `PAGE` at a time from one kept statement. Not `iterate()`:
 * its iterator is an object of its own, and the garbage collector finalizing one aborts Node 24 as a
 * statement does (above).
 */
function* pages(select: Database.Statement): Generator<StoredEntry> {
  for (let after = Number.MIN_SAFE_INTEGER; ; ) {
    const rows = select.all(after, PAGE) as Array<{ at: number; seq: number; body: string }>;
    for (const { seq, body } of rows) yield { seq, body };
    if (rows.length < PAGE) return;
    after = (rows[rows.length - 1] as { at: number }).at;
  }
}

const readSpoolText = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');

/**
 * The default store: SQLite in WAL mode, written through a spool.
 *
 * An entry (or a signed checkpoint) is a line of the spool file (`<db>-spool`, opened O_APPEND).
 * Appends are grouped (`group-commit.ts`): the lines of one turn of the event loop leave in one
 * `write(2)`, at the end of the turn or as soon as anything is about to leave the gateway, whichever
 * is first, so an entry is in the OS before the message it records leaves, and survives SIGKILL of
 * the gateway; with `sync: full` each such write is fdatasync'ed too, and it survives power loss. A
 * write that fails or comes up short (the spool is cut back to its last whole line) keeps its lines
 * pending: every way out refuses to send until they are written, and every append fails meanwhile
 * (it tries them first). The gateway's thread does nothing else: a mover thread (`mover.ts`) with a
 * connection of its own copies the spool into the tables and checkpoints the write-ahead log. Every
 * `MOVER_POLL_MS` it looks how far the spool is written (memory the threads share, set after every
 * write) and copies what is new, and it reports how far it copied. Once the spool holds `SPOOL_ROTATE_BYTES`, the store replaces it,
 * with an atomic rename, never truncated, by one that holds only the lines not yet copied, so the file
 * always holds every entry the table does not (and copied ones, which readers skip), and a reader that
 * opened it sees one whole generation. A reader takes the spool first, then the table, and merges by
 * sequence number. A gateway that opens a log copies a killed one's spool into the table before it
 * serves, and its close copies whatever the mover has not, on its own connection.
 *
 * A copy that fails (disk full, a broken database, a lock held elsewhere) leaves the lines in the
 * spool, and once the mover reports it every later append fails until the mover reports a copy that
 * succeeded (it tries again every 50 ms): the gateway denies calls (fail closed). A spool that cannot
 * be replaced fails every later append until it can.
 * @example
 * const store = openSqliteStore('/var/lib/toolgate/audit.db', 'normal');
 */
export const openSqliteStore = (path: string, durability: Durability, readonly = false): AuditStore => {
  const db = keep(new Database(path, readonly ? { readonly: true, fileMustExist: true, timeout: 1000 } : { timeout: 1000 }));
  if (!readonly) {
    db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'};`);
    db.exec(`CREATE TABLE IF NOT EXISTS entries (seq INTEGER PRIMARY KEY, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS checkpoints (id INTEGER PRIMARY KEY AUTOINCREMENT, size INTEGER NOT NULL, note TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS checkpoints_size ON checkpoints (size);`);
  }
  const selectPage = keep(db.prepare('SELECT rowid AS at, seq, body FROM entries WHERE rowid > ? ORDER BY rowid LIMIT ?'));
  const selectCheckpoints = keep(db.prepare('SELECT note FROM checkpoints ORDER BY id').pluck());
  const spoolPath = spoolPathOf(path);

  /** The spool first (read now), then the table (paged as it is iterated): what leaves the spool meanwhile is found in the table. */
  const readEntries = () => mergeSpooled(pages(selectPage), parseSpool(readSpoolText(spoolPath)));
  /** The table's checkpoints, then the spool's that the table does not hold yet. */
  const readCheckpoints = () => {
    const spooled = parseSpoolCheckpoints(readSpoolText(spoolPath));
    const stored = selectCheckpoints.all() as string[];
    const known = new Set(stored);
    return [...stored, ...spooled.map((c) => c.note).filter((note) => !known.has(note))];
  };

  if (readonly)
    return {
      location: path,
      append: () => {
        throw new Error('read-only store');
      },
      appendCheckpoint: () => {
        throw new Error('read-only store');
      },
      entries: () => [...readEntries()],
      eachEntry: readEntries,
      checkpoints: readCheckpoints,
      close: () => db.close(),
    };

  const move = spoolMove(db);
  move.statements.forEach(keep);
  db.exec('PRAGMA wal_autocheckpoint = 0'); // the mover checkpoints (mover.ts)
  const syncDir = () => {
    const dirFd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  };
  /**
   * A new spool in place of the old one (atomic rename) holding `left`, the lines not yet copied;
   * returns its descriptor. At every moment the file at the spool's path holds every entry the table
   * does not.
   */
  const freshSpool = (left: Buffer): number => {
    const next = `${spoolPath}.next`;
    const fd = openSync(next, 'w', 0o640);
    try {
      if (left.length > 0) {
        writeSync(fd, left);
        if (durability === 'full') fdatasyncSync(fd);
      }
      renameSync(next, spoolPath);
      if (durability === 'full') syncDir();
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return fd;
  };
  /** Bytes `from` to `to` of the current spool file. */
  const spoolBytes = (from: number, to: number): Buffer => {
    const fd = openSync(spoolPath, 'r');
    try {
      const { buffer, got } = readAt(fd, from, to - from);
      if (got < to - from) throw new Error(`the spool ended at ${from + got} bytes, before ${to}`);
      return buffer;
    } finally {
      closeSync(fd);
    }
  };

  // Recovery: a killed gateway's spooled lines that never reached the table.
  move.move(readSpoolText(spoolPath));
  let spool: number | undefined = freshSpool(Buffer.alloc(0));
  /** The spool's generation (one per replacement), its length, and how much of it is copied. */
  let generation = 0;
  let spooledBytes = 0;
  let copiedBytes = 0;
  /** Why the mover's last copy failed, or why the spool could not be replaced: appends fail meanwhile. */
  let failed: Error | undefined;
  let replaceFailed: Error | undefined;
  /** Lines appended, not yet written (see `flush`), and why the last write of them failed. */
  let pending: string[] = [];
  let writeFailed: Error | undefined;
  /** A spool that was fdatasync'ed in vain may have lost written lines: the store takes no more. */
  let syncFailed: Error | undefined;

  /** What the mover reads when it looks (shared memory: no message, no wake-up). */
  const tell = () => mover.spooled(generation, spooledBytes);
  /**
   * Starts a new spool holding only the lines the mover has not copied, once the current one holds
   * `SPOOL_ROTATE_BYTES`. The old descriptor is closed on the thread pool: closing the last link of a
   * replaced file frees its blocks, which took up to a millisecond here; what it held is in the table
   * and in the new file, so its close cannot fail in a way that matters.
   */
  const replace = () => {
    const left = spoolBytes(copiedBytes, spooledBytes);
    const old = spool;
    spool = freshSpool(left);
    generation++;
    spooledBytes = left.length;
    copiedBytes = 0;
    if (old !== undefined) close(old, () => {});
    tell();
  };
  const tryReplace = () => {
    try {
      replace();
      replaceFailed = undefined;
    } catch (error) {
      replaceFailed = error as Error;
    }
  };
  const mover = startMover({
    path,
    spoolPath,
    synchronous: durability === 'full' ? 'FULL' : 'NORMAL',
    moved: (at, offset) => {
      if (spool === undefined) return;
      failed = undefined;
      if (at !== generation) return;
      copiedBytes = offset;
      if (spooledBytes >= SPOOL_ROTATE_BYTES && !replaceFailed) tryReplace();
    },
    failed: (why) => {
      if (spool !== undefined) failed = new Error(why);
    },
  });
  /**
   * Writes the pending lines in one `write(2)`; throws, keeping them pending, if it fails or comes up
   * short (the spool is cut back to its last whole line first, again before each retry).
   */
  const flush = () => {
    if (syncFailed) throw syncFailed;
    if (pending.length === 0) return;
    if (spool === undefined) throw new Error('the store is closed');
    const data = Buffer.from(pending.length === 1 ? (pending[0] as string) : pending.join(''));
    try {
      if (writeFailed) ftruncateSync(spool, spooledBytes);
      const wrote = writeSync(spool, data);
      if (wrote !== data.length) {
        ftruncateSync(spool, spooledBytes);
        throw new Error(`the spool took ${wrote} of ${data.length} bytes (disk full or file too large)`);
      }
    } catch (error) {
      writeFailed = error as Error;
      throw error;
    }
    writeFailed = undefined;
    spooledBytes += data.length;
    pending = [];
    if (durability === 'full')
      try {
        fdatasyncSync(spool);
      } catch (error) {
        syncFailed = error as Error;
        throw error;
      }
    tell();
  };
  /** The end of the turn that appended the first pending line; a failure stays for the next way out or append to meet. */
  const flushAtTurnEnd = () => {
    try {
      flush();
    } catch {
      // still pending: every way out and every append tries again, and fails until they are written
    }
  };
  const write = (line: string) => {
    if (spool === undefined) throw new Error('the store is closed');
    if (replaceFailed) tryReplace();
    if (replaceFailed) throw replaceFailed;
    if (failed) throw failed;
    // Before the line joins them (a throw then leaves it out): a failed write tried again, and a turn
    // that appends without end (no way out, no end of turn) written every SPOOL_BATCH lines.
    if (writeFailed || syncFailed || pending.length >= SPOOL_BATCH) flush();
    pending.push(line);
    if (pending.length === 1) setImmediate(flushAtTurnEnd);
  };
  const flushed = <T>(read: () => T) => () => {
    flush();
    return read();
  };

  return {
    location: path,
    append: (entry) => write(entryLine(entry)),
    appendCheckpoint: (size, note) => write(checkpointLine(size, note)),
    flush,
    entries: flushed(() => [...readEntries()]),
    eachEntry: flushed(readEntries),
    checkpoints: flushed(readCheckpoints),
    close: () => {
      if (spool === undefined) return;
      mover.close();
      try {
        flush();
        move.move(readSpoolText(spoolPath)); // whatever the mover had not copied
        unlinkSync(spoolPath); // everything is in the table
      } finally {
        closeSync(spool);
        spool = undefined;
        db.close(); // the last connection to close copies the log into the database
      }
    },
  };
};
