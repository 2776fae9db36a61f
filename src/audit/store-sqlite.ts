import Database from 'better-sqlite3';
import type { AuditStore, Durability, StoredEntry } from './store.js';

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

/**
 * The default store: SQLite in WAL mode. A committed entry survives SIGKILL of the gateway with
 * `synchronous=NORMAL` (the WAL is written before the insert returns; only an OS crash or power loss
 * can lose the last commits), and power loss too with `full`.
 * @example
 * const store = openSqliteStore('/var/lib/toolgate/audit.db', 'normal');
 */
export const openSqliteStore = (path: string, durability: Durability, readonly = false): AuditStore => {
  const db = keep(new Database(path, readonly ? { readonly: true, fileMustExist: true } : {}));
  if (!readonly) {
    db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'};`);
    db.exec(`CREATE TABLE IF NOT EXISTS entries (seq INTEGER PRIMARY KEY, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS checkpoints (id INTEGER PRIMARY KEY AUTOINCREMENT, size INTEGER NOT NULL, note TEXT NOT NULL);`);
  }
  const insert = readonly ? undefined : keep(db.prepare('INSERT INTO entries (seq, body) VALUES (?, ?)'));
  const insertCheckpoint = readonly ? undefined : keep(db.prepare('INSERT INTO checkpoints (size, note) VALUES (?, ?)'));
  const selectEntries = keep(db.prepare('SELECT seq, body FROM entries ORDER BY rowid'));
  const selectPage = keep(db.prepare('SELECT rowid AS at, seq, body FROM entries WHERE rowid > ? ORDER BY rowid LIMIT ?'));
  const selectCheckpoints = keep(db.prepare('SELECT note FROM checkpoints ORDER BY id').pluck());
  return {
    location: path,
    append: (entry) => void insert?.run(entry.seq, entry.body),
    appendCheckpoint: (size, note) => void insertCheckpoint?.run(size, note),
    entries: () => selectEntries.all() as StoredEntry[],
    eachEntry: () => pages(selectPage),
    checkpoints: () => selectCheckpoints.all() as string[],
    close: () => db.close(),
  };
};
