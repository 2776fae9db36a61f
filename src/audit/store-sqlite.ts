import Database from 'better-sqlite3';
import type { AuditStore, Durability, StoredEntry } from './store.js';

/**
 * Every handle stays reachable for the life of the process: on Node 24, better-sqlite3 12 aborts the
 * process when the garbage collector finalizes a Database (`RemoveEnvironmentCleanupHook`: env is
 * null). A gateway opens one store, the CLI exits at once; only tests open many.
 */
const handles: Database.Database[] = [];

/**
 * The default store: SQLite in WAL mode. A committed entry survives SIGKILL of the gateway with
 * `synchronous=NORMAL` (the WAL is written before the insert returns; only an OS crash or power loss
 * can lose the last commits), and power loss too with `full`.
 * @example
 * const store = openSqliteStore('/var/lib/toolgate/audit.db', 'normal');
 */
export const openSqliteStore = (path: string, durability: Durability, readonly = false): AuditStore => {
  const db = new Database(path, readonly ? { readonly: true, fileMustExist: true } : {});
  handles.push(db);
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
    db.exec(`CREATE TABLE IF NOT EXISTS entries (seq INTEGER PRIMARY KEY, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS checkpoints (id INTEGER PRIMARY KEY AUTOINCREMENT, size INTEGER NOT NULL, note TEXT NOT NULL);`);
  }
  const insert = readonly ? undefined : db.prepare('INSERT INTO entries (seq, body) VALUES (?, ?)');
  const insertCheckpoint = readonly ? undefined : db.prepare('INSERT INTO checkpoints (size, note) VALUES (?, ?)');
  return {
    location: path,
    append: (entry) => void insert?.run(entry.seq, entry.body),
    appendCheckpoint: (size, note) => void insertCheckpoint?.run(size, note),
    entries: () => db.prepare('SELECT seq, body FROM entries ORDER BY rowid').all() as StoredEntry[],
    checkpoints: () => (db.prepare('SELECT note FROM checkpoints ORDER BY id').all() as { note: string }[]).map((r) => r.note),
    close: () => db.close(),
  };
};
