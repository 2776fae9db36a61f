import { close, closeSync, existsSync, fdatasyncSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { mergeSpooled, parseSpool, SPOOL_BATCH, SPOOL_DELAY_MS, SPOOL_ROTATE_BYTES, SPOOL_SLICE, spoolPathOf } from './spool.js';
import type { AuditStore, Durability, StoredEntry } from './store.js';
import { startWalCheckpointer, WAL_CAP_ENTRIES, WAL_CAP_PAGES, WAL_CHECKPOINT_ENTRIES } from './wal-checkpointer.js';

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

const readSpool = (path: string): StoredEntry[] => (existsSync(path) ? parseSpool(readFileSync(path, 'utf8')) : []);

/**
 * The default store: SQLite in WAL mode, written through a spool.
 *
 * An entry is one `write(2)` to the spool file (`<db>-spool`, opened O_APPEND) before `append`
 * returns, so it survives SIGKILL of the gateway as soon as the call goes on; with `sync: full` the
 * spool is fdatasync'ed per entry too, and the entry survives power loss. Entries are moved from the
 * spool into the `entries` table off the call's path: `SPOOL_DELAY_MS` after the first, the timer
 * moves those pending then, `SPOOL_SLICE` per transaction and per turn of the event loop, so a call
 * waits behind one slice at most; a checkpoint, close, or `SPOOL_BATCH` pending entries move all at
 * once. Once the spool holds `SPOOL_ROTATE_BYTES`, a move replaces it, with an atomic rename, never
 * truncated, by one that holds only the entries still pending, so the file always holds every entry
 * the table does not (and moved ones, which readers skip), and a reader that opened it sees one whole
 * generation. A reader takes the spool first, then the table, and merges by sequence number. The
 * write-ahead log's checkpoints run on a worker thread (`wal-checkpointer.ts`).
 * A gateway that opens a log moves a killed one's spool into the table before it serves.
 *
 * A batch that cannot be moved (disk full, a broken database) leaves its entries in the spool and
 * makes every later append fail until a move succeeds: the gateway denies calls (fail closed).
 * @example
 * const store = openSqliteStore('/var/lib/toolgate/audit.db', 'normal');
 */
export const openSqliteStore = (path: string, durability: Durability, readonly = false): AuditStore => {
  const db = keep(new Database(path, readonly ? { readonly: true, fileMustExist: true, timeout: 1000 } : { timeout: 1000 }));
  if (!readonly) {
    db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'};`);
    db.exec(`CREATE TABLE IF NOT EXISTS entries (seq INTEGER PRIMARY KEY, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS checkpoints (id INTEGER PRIMARY KEY AUTOINCREMENT, size INTEGER NOT NULL, note TEXT NOT NULL);`);
  }
  const selectPage = keep(db.prepare('SELECT rowid AS at, seq, body FROM entries WHERE rowid > ? ORDER BY rowid LIMIT ?'));
  const selectCheckpoints = keep(db.prepare('SELECT note FROM checkpoints ORDER BY id').pluck());
  const spoolPath = spoolPathOf(path);

  /** The spool first (read now), then the table (paged as it is iterated): what leaves the spool meanwhile is found in the table. */
  const readEntries = () => mergeSpooled(pages(selectPage), readSpool(spoolPath));

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
      checkpoints: () => selectCheckpoints.all() as string[],
      close: () => db.close(),
    };

  // Checkpoints of the write-ahead log run on a worker thread (their fsyncs stalled this one); if it
  // cannot, or falls far behind, this connection takes them back (wal-checkpointer.ts).
  db.exec('PRAGMA wal_autocheckpoint = 0');
  const checkpointHere = keep(db.prepare('PRAGMA wal_checkpoint(PASSIVE)'));
  const checkpointer = startWalCheckpointer({
    path,
    synchronous: durability === 'full' ? 'FULL' : 'NORMAL',
    every: WAL_CHECKPOINT_ENTRIES,
    cap: WAL_CAP_ENTRIES,
    capFrames: WAL_CAP_PAGES,
    // Neither may throw: they run from the worker's messages too. A checkpoint that fails loses no
    // entry (the log still holds them); the next one copies what it did not.
    here: () => {
      try {
        checkpointHere.get();
      } catch {
        // the log stays whole and grows until a checkpoint succeeds
      }
    },
    fallback: () => {
      try {
        if (spool !== undefined) db.exec('PRAGMA wal_autocheckpoint = 1000');
      } catch {
        // this connection is going away: nothing left to checkpoint for
      }
    },
  });
  const insert = keep(db.prepare('INSERT INTO entries (seq, body) VALUES (?, ?)'));
  const insertCheckpoint = keep(db.prepare('INSERT INTO checkpoints (size, note) VALUES (?, ?)'));
  const selectLast = keep(db.prepare('SELECT max(seq) FROM entries').pluck());
  const move = keep(
    db.transaction((entries: readonly StoredEntry[], checkpoint?: { size: number; note: string }) => {
      for (const e of entries) insert.run(e.seq, e.body);
      if (checkpoint) insertCheckpoint.run(checkpoint.size, checkpoint.note);
    }),
  );
  const syncDir = () => {
    const dirFd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  };
  /** Bytes written to the current spool file. */
  let spooledBytes = 0;
  /**
   * A new spool in place of the old one (atomic rename) holding `left`, the entries not yet in the
   * table; returns its descriptor. At every moment the file at the spool's path holds every entry the
   * table does not.
   */
  const freshSpool = (left: readonly StoredEntry[] = []): number => {
    const next = `${spoolPath}.next`;
    const fd = openSync(next, 'w', 0o640);
    let written = 0;
    try {
      if (left.length > 0) {
        written = writeSync(fd, left.map((e) => `${e.seq} ${e.body}\n`).join(''));
        if (durability === 'full') fdatasyncSync(fd);
      }
      renameSync(next, spoolPath);
      if (durability === 'full') syncDir();
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    spooledBytes = written;
    return fd;
  };

  // Recovery: a killed gateway's spooled entries that never reached the table.
  const last = selectLast.get() as number | null;
  const left = readSpool(spoolPath).filter((e) => e.seq > (last ?? -1));
  if (left.length > 0) move(left);
  let spool: number | undefined = freshSpool();

  let pending: StoredEntry[] = [];
  /** Entries written to the current spool file, moved or not. */
  let spooled = 0;
  let timer: NodeJS.Timeout | undefined;
  let draining: NodeJS.Immediate | undefined;
  let failed: Error | undefined;
  const guard = (work: () => void) => {
    try {
      work();
      failed = undefined;
    } catch (error) {
      failed = error as Error;
      throw error;
    }
  };
  /** Moves the first `n` pending entries (and a checkpoint) into the table in one transaction. */
  const moveFirst = (n: number, checkpoint?: { size: number; note: string }) => {
    const slice = n >= pending.length ? pending : pending.slice(0, n);
    move(slice, checkpoint);
    pending = slice === pending ? [] : pending.slice(n);
    checkpointer.moved(slice.length);
  };
  /**
   * Starts a new spool holding only the entries still pending, once the current one holds
   * `SPOOL_ROTATE_BYTES` and some of its entries are in the table. The old descriptor is closed on
   * the thread pool: closing the last link of a replaced file frees its blocks, which took up to a
   * millisecond here; what it held is in the table and in the new file, so its close cannot fail
   * in a way that matters.
   */
  const rotate = () => {
    if (spooled === pending.length || spooledBytes < SPOOL_ROTATE_BYTES) return;
    const old = spool;
    spool = freshSpool(pending);
    spooled = pending.length;
    if (old !== undefined) close(old, () => {});
  };
  /** Moves every pending entry (and a checkpoint) into the table now, then replaces the spool if it is full. */
  const flush = (checkpoint?: { size: number; note: string }) => {
    if (timer) clearTimeout(timer);
    if (draining) clearImmediate(draining);
    timer = draining = undefined;
    if (pending.length === 0 && !checkpoint && !failed) return; // a failed spool replacement is retried too
    guard(() => {
      moveFirst(pending.length, checkpoint);
      rotate();
    });
  };
  const later = () => {
    try {
      flush();
    } catch {
      // kept in `failed`: the next append retries the move and fails the call if it fails again
    }
  };
  /**
   * Moves the `left` entries that were pending when the timer fired, `SPOOL_SLICE` per turn of the
   * event loop (so no call waits behind a whole batch), then starts a new spool.
   */
  const drain = (left: number) => {
    draining = undefined;
    try {
      guard(() => moveFirst(Math.min(left, SPOOL_SLICE)));
      if (left > SPOOL_SLICE && pending.length > 0) {
        draining = setImmediate(drain, left - SPOOL_SLICE);
        return;
      }
      guard(rotate);
    } catch {
      return; // kept in `failed` (see `later`)
    }
    if (pending.length > 0) arm();
  };
  const arm = () => {
    timer = setTimeout(() => {
      timer = undefined;
      drain(pending.length);
    }, SPOOL_DELAY_MS);
    timer.unref();
  };

  return {
    location: path,
    append: (entry) => {
      if (spool === undefined) throw new Error('the store is closed');
      if (failed) flush(); // throws while the database still refuses the spooled entries
      spooledBytes += writeSync(spool, `${entry.seq} ${entry.body}\n`);
      if (durability === 'full') fdatasyncSync(spool);
      pending.push(entry);
      spooled++;
      if (pending.length >= SPOOL_BATCH) later();
      else if (!timer && !draining) arm();
    },
    appendCheckpoint: (size, note) => flush({ size, note }),
    entries: () => [...mergeSpooled(pages(selectPage), pending)],
    eachEntry: () => mergeSpooled(pages(selectPage), [...pending]),
    checkpoints: () => selectCheckpoints.all() as string[],
    close: () => {
      if (spool === undefined) return;
      try {
        flush();
        unlinkSync(spoolPath); // everything is in the table
      } finally {
        closeSync(spool);
        spool = undefined;
        db.close();
        checkpointer.close(); // the last connection to close copies the log into the database
      }
    },
  };
};
