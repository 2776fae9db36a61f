import { readSync } from 'node:fs';
import type { StoredEntry } from './store.js';

/** The SQLite store's spool (`store-sqlite.ts`): its line format, how readers merge it, and how its bytes are read. */

/** Lines one turn of the event loop may append before they are written without waiting for the turn's end. */
export const SPOOL_BATCH = 512;
/**
 * The spool is replaced (atomic rename, carrying the entries the mover has not copied yet) once it
 * holds this many bytes, not after every move: a fresh file's first write took 1 to 5 ms here now and
 * then, and the replaced file's close up to 1 ms. Readers skip what the table already holds, so a
 * spool may repeat moved entries.
 */
export const SPOOL_ROTATE_BYTES = 4 * 1024 * 1024;

/** The spool beside a database: `audit.db` → `audit.db-spool`. */
export const spoolPathOf = (path: string): string => `${path}-spool`;

/** A signed checkpoint in the spool: `c <json>`, where the JSON holds the tree size and the note. */
const CHECKPOINT = 'c ';

/** The spool line of an entry. */
export const entryLine = (entry: StoredEntry): string => `${entry.seq} ${entry.body}\n`;

/** The spool line of a checkpoint (its note is multi-line text: JSON keeps it on one line). */
export const checkpointLine = (size: number, note: string): string => `${CHECKPOINT}${JSON.stringify({ size, note })}\n`;

export interface SpooledCheckpoint {
  readonly size: number;
  readonly note: string;
}

/** A checkpoint line's content, or undefined when the line is not a well-formed one. // untrusted: file content. */
const asCheckpoint = (line: string): SpooledCheckpoint | undefined => {
  if (!line.startsWith(CHECKPOINT)) return undefined;
  try {
    const value = JSON.parse(line.slice(CHECKPOINT.length)) as unknown;
    if (typeof value !== 'object' || value === null) return undefined;
    const { size, note } = value as Record<string, unknown>;
    return Number.isSafeInteger(size) && (size as number) >= 0 && typeof note === 'string' ? { size: size as number, note } : undefined;
  } catch {
    return undefined;
  }
};

/** The complete lines of a spool's text: an unfinished last line (no newline: a write cut by power loss) is none. */
const linesOf = (text: string): string[] => text.slice(0, text.lastIndexOf('\n') + 1).split('\n');

/**
 * The entries and the checkpoints of a spool's text, in one pass: one `<seq> <body>` line per entry,
 * one `c <json>` line per checkpoint. An unfinished last line is neither; a line without a number is
 * kept as an entry, numbered after the one before (`before` for the first line of a text that
 * continues another), so that `audit verify` reports it. // untrusted: file content.
 */
export const splitSpool = (text: string, before = -1): { entries: StoredEntry[]; checkpoints: SpooledCheckpoint[] } => {
  const entries: StoredEntry[] = [];
  const checkpoints: SpooledCheckpoint[] = [];
  let last = before;
  for (const line of linesOf(text)) {
    if (!line) continue;
    const checkpoint = asCheckpoint(line);
    if (checkpoint) {
      checkpoints.push(checkpoint);
      continue;
    }
    const space = line.indexOf(' ');
    const seq = space > 0 ? Number(line.slice(0, space)) : Number.NaN;
    if (Number.isSafeInteger(seq) && seq >= 0 && /^\d+$/.test(line.slice(0, space))) entries.push({ seq, body: line.slice(space + 1) });
    else entries.push({ seq: last + 1, body: line });
    last = (entries.at(-1) as StoredEntry).seq;
  }
  return { entries, checkpoints };
};

/** The entries of a spool's text (see `splitSpool`). */
export const parseSpool = (text: string, before = -1): StoredEntry[] => splitSpool(text, before).entries;

/** The checkpoints of a spool's text, in order (see `splitSpool`). */
export const parseSpoolCheckpoints = (text: string): SpooledCheckpoint[] => splitSpool(text).checkpoints;

/**
 * Up to `length` bytes of a file from `position`, fewer if it ends first: `got` says how many are
 * read, and only those may be used (the rest of the buffer is not cleared).
 */
export const readAt = (fd: number, position: number, length: number): { buffer: Buffer; got: number } => {
  const buffer = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buffer, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return { buffer, got };
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
