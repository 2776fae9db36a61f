import type { StoredEntry } from './store.js';

/** The pure half of the SQLite store's spool (`store-sqlite.ts`): its line format and how readers merge it. */

/** Entries a spool holds before they are moved into the database at once. */
export const SPOOL_BATCH = 512;
/**
 * Entries moved per turn of the event loop when the timer moves them: a transaction of this many
 * costs about a third of a millisecond here, the most a call waits behind one (a whole batch held a
 * call up for one to four milliseconds, once per batch: the gateway's p99).
 */
export const SPOOL_SLICE = 32;
/**
 * The spool is replaced (atomic rename, carrying the entries still pending) once it holds this many
 * bytes of entries, not after every move: a fresh file's first write took 1 to 5 ms here now and then,
 * and the replaced file's close up to 1 ms, once every move (20 times a second under load). Readers
 * skip what the table already holds, so a spool may repeat moved entries.
 */
export const SPOOL_ROTATE_BYTES = 4 * 1024 * 1024;
/** The longest an entry waits in the spool before it is moved (unless the gateway is killed first). */
export const SPOOL_DELAY_MS = 50;

/** The spool beside a database: `audit.db` → `audit.db-spool`. */
export const spoolPathOf = (path: string): string => `${path}-spool`;

/**
 * The entries of a spool's text: one `<seq> <body>` line each. An unfinished last line (no newline: a
 * write cut by power loss) is not an entry; a line without a number is kept, numbered after the one
 * before, so that `audit verify` reports it. // untrusted: file content.
 */
export const parseSpool = (text: string): StoredEntry[] => {
  const entries: StoredEntry[] = [];
  const end = text.lastIndexOf('\n');
  for (const line of text.slice(0, end + 1).split('\n')) {
    if (!line) continue;
    const space = line.indexOf(' ');
    const seq = space > 0 ? Number(line.slice(0, space)) : Number.NaN;
    if (Number.isSafeInteger(seq) && seq >= 0 && /^\d+$/.test(line.slice(0, space))) entries.push({ seq, body: line.slice(space + 1) });
    else entries.push({ seq: (entries.at(-1)?.seq ?? -1) + 1, body: line });
  }
  return entries;
};

/**
 * The stored entries followed by the spooled ones that carry on from them: a spool read before the
 * database can hold entries the database received since (they are skipped), never a gap.
 */
export function* mergeSpooled(stored: Iterable<StoredEntry>, spooled: readonly StoredEntry[]): Generator<StoredEntry> {
  let next = 0;
  for (const e of stored) {
    yield e;
    next = e.seq + 1;
  }
  for (const e of spooled) {
    if (e.seq < next) continue;
    yield e;
    next = e.seq + 1;
  }
}
