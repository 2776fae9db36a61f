import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  writeSync,
} from 'node:fs';
import type { AuditStore, Durability, StoredEntry } from './store.js';

/** Lines one turn of the event loop may append before they are written without waiting for a way out. */
const JSONL_BATCH = 512;

/**
 * The audit store: an append-only JSONL file, each entry's canonical JSON on its own line,
 * checkpoints inline as `{"checkpoint":"<signed note>"}`. The same format is what
 * `toolgate audit export --format jsonl` prints, so an export verifies like a live log.
 *
 * Appends are grouped (`group-commit.ts`): the lines appended during one turn of the event loop
 * leave in one `write(2)` on an O_APPEND descriptor, as soon as anything is about to leave the
 * gateway or at the end of the turn, whichever is first. So an entry is in the OS before the message
 * it records leaves and survives SIGKILL; with `sync: full` each such write is fdatasync'ed too, and
 * it survives power loss.
 *
 * A write that fails or comes up short (disk full, file too large) is cut back to the last whole line
 * and its lines stay pending: every way out refuses to send, and every append fails, until they are
 * written. Before a write the path must still name the file this store opened (same device and
 * inode): a log deleted, moved away or replaced takes nothing more, and the lines stay pending, until
 * that same file is back at its path (AUD-10). A failed fdatasync may have lost written lines, so the
 * store then takes nothing more at all.

 * @example
 * const store = openJsonlStore('/var/lib/toolgate/audit.jsonl', 'normal');
 */
export const openJsonlStore = (
  path: string,
  durability: Durability,
  readonly = false,
): AuditStore => {
  if (readonly) return readOnlyStore(path);
  const { fd, opened, isFile, size } = openForAppend(path);
  let written = size; // bytes of whole lines in the file: where a failed write is cut back to
  const assertInPlace = placeCheck(path, opened);
  let closed = false;
  // Lines appended, not yet written (see `flush`), and why the last write of them failed.
  let pending: string[] = [];
  let writeFailed: Error | undefined;
  let syncFailed: Error | undefined;

  /** Writes the pending lines in one `write(2)`; throws, keeping them pending, if they cannot all be written. */
  const flush = () => {
    if (syncFailed) throw syncFailed;
    if (pending.length === 0) return;
    if (closed) throw new Error('the store is closed');
    const data = pending.length === 1 ? (pending[0] as string) : pending.join('');
    let bytes: number;
    try {
      assertInPlace();
      bytes = writeWhole(fd, data, isFile ? written : undefined, writeFailed !== undefined);
    } catch (error) {
      writeFailed = error as Error;
      throw error;
    }
    writeFailed = undefined;
    written += bytes;
    pending = [];
    if (durability === 'full')
      try {
        fdatasyncSync(fd);
      } catch (error) {
        syncFailed = error as Error;
        throw error;
      }
  };
  // The end of the turn that appended the first pending line. A failure stays pending: every way out
  // and every append tries again, and fails until they are written.
  const flushAtTurnEnd = () => tryFlush(flush);
  const write = (line: string) => {
    if (closed) throw new Error('the store is closed');
    // Before the line joins them (a throw then leaves it out): a failed write tried again, and a turn
    // that appends without end (no way out, no end of turn) written every JSONL_BATCH lines.
    if (writeFailed || syncFailed || pending.length >= JSONL_BATCH) flush();
    pending.push(line);
    if (pending.length === 1) setImmediate(flushAtTurnEnd);
  };
  const reader = readOnlyStore(path);
  /** A read sees every line appended before it; a device holds nothing to read back. */
  const read =
    <T>(of: () => T, none: T) =>
    () => {
      flush();
      return isFile ? of() : none;
    };
  return {
    location: path,
    append: (entry) => write(entry.body + '\n'),
    appendCheckpoint: (_size, note) => write(JSON.stringify({ checkpoint: note }) + '\n'),
    flush,
    entries: read(() => reader.entries(), []),
    eachEntry: read(() => reader.eachEntry(), []),
    checkpoints: read(() => reader.checkpoints(), []),
    close: () => {
      if (closed) return;
      try {
        flush();
      } finally {
        closed = true;
        closeSync(fd);
      }
    },
  };
};

/**
 * Opens the log for appending (O_APPEND; readable, to find the last whole line): the file's identity
 * for `placeCheck`, whether it is a regular file (not a device such as /dev/null, which holds nothing
 * to read back), and the size of its whole lines once an unfinished last line is cut.
 */
const openForAppend = (path: string) => {
  const fd = openSync(path, 'a+', 0o640);
  try {
    const stat = fstatSync(fd);
    const isFile = stat.isFile();
    return {
      fd,
      opened: { dev: stat.dev, ino: stat.ino },
      isFile,
      size: isFile ? cutToWholeLines(fd, stat.size) : 0,
    };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
};

/**
 * The AUD-10 check: a function that throws unless `path` still names the file the store opened (same
 * device and inode). The path is looked up (one `stat`) at most once per task of the event loop. That
 * is as strict as a lookup per write: everything a task sends was received before the task began, so
 * a deletion that happened before such a message arrived happened before the lookup too, and is seen.
 * Under load one task sends many messages (a read brings several), each with its own write, and path
 * lookups are system calls, which are dear on a virtual machine.
 */
const placeCheck = (path: string, opened: { dev: number; ino: number }): (() => void) => {
  /** Whether the path was found in place during the current task (reset by a microtask). */
  let inPlaceThisTask = false;
  const forgetInPlace = () => {
    inPlaceThisTask = false;
  };
  // Numbers, not bigints: this runs once per task.
  return () => {
    if (inPlaceThisTask) return;
    const now = statSync(path, { throwIfNoEntry: false });
    if (now === undefined)
      throw new Error(
        'the log file is gone (deleted or moved away); calls are refused until it is back or the gateway restarts',
      );
    if (now.dev !== opened.dev || now.ino !== opened.ino)
      throw new Error(
        'the log file was replaced by another file; calls are refused until the original is back or the gateway restarts',
      );
    // A microtask runs before the task ends, so the next task looks again; sooner is only safer.
    inPlaceThisTask = true;
    queueMicrotask(forgetInPlace);
  };
};

/**
 * One `write(2)` of `data`, after cutting the file back to its whole lines (`whole`, for a regular
 * file) if the last write failed: O_APPEND then lands right after the last whole line, never past a
 * hole. Returns the bytes written; a short write is cut back and throws.
 */
const writeWhole = (
  fd: number,
  data: string,
  whole: number | undefined,
  afterFailure: boolean,
): number => {
  if (afterFailure && whole !== undefined) ftruncateSync(fd, whole);
  const wrote = writeSync(fd, data);
  const bytes = Buffer.byteLength(data);
  if (wrote !== bytes) {
    if (whole !== undefined) ftruncateSync(fd, whole);
    throw new Error(`the file took ${wrote} of ${bytes} bytes (disk full or file too large)`);
  }
  return bytes;
};

/** Runs `flush`; a failure is left for whoever meets it next. */
const tryFlush = (flush: () => void): void => {
  try {
    flush();
  } catch {
    // still pending
  }
};

/**
 * Cuts an unfinished last line (a write torn by power loss; no message it recorded left) so that the
 * next line starts on a line of its own; returns the size of the whole lines.
 */
const cutToWholeLines = (fd: number, size: number): number => {
  if (size === 0) return 0;
  const tail = Buffer.alloc(Math.min(size, CHUNK));
  for (let end = size; end > 0;) {
    const start = Math.max(0, end - tail.length);
    const n = readSync(fd, tail, 0, end - start, start);
    const at = tail.subarray(0, n).lastIndexOf(10);
    if (at !== -1) {
      const whole = start + at + 1;
      if (whole !== size) ftruncateSync(fd, whole);
      return whole;
    }
    end = start;
  }
  ftruncateSync(fd, 0);
  return 0;
};

/** What `audit verify/query/tail/export/prove` open: reads only. */
const readOnlyStore = (path: string): AuditStore => {
  const refuse = () => {
    throw new Error('read-only store');
  };
  const parsed = () => parseJsonl(readFileSync(path, 'utf8'));
  return {
    location: path,
    append: refuse,
    appendCheckpoint: refuse,
    entries: () => parsed().entries,
    eachEntry: () => streamEntries(path),
    checkpoints: () => parsed().checkpoints,
    close: () => undefined,
  };
};

const CHUNK = 1 << 16;

/**
 * The entries of a JSONL log, read in 64 KiB chunks: numbered and classified as `parseJsonl` does,
 * holding one chunk and one partial line at a time. // untrusted: file content.
 */
function* streamEntries(path: string): Generator<StoredEntry> {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.alloc(CHUNK);
    let rest = Buffer.alloc(0);
    let seq = 0;
    const lines = function* (text: Buffer): Generator<StoredEntry> {
      for (const entry of parseJsonl(text.toString('utf8')).entries)
        yield { seq: seq++, body: entry.body };
    };
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) {
      const data = Buffer.concat([rest, chunk.subarray(0, n)]);
      const last = data.lastIndexOf(10);
      if (last === -1) {
        rest = data;
        continue;
      }
      // Whole lines only: a multi-byte character never straddles the cut.
      yield* lines(data.subarray(0, last + 1));
      rest = Buffer.from(data.subarray(last + 1));
    }
    if (rest.length > 0) yield* lines(rest);
  } finally {
    closeSync(fd);
  }
}

/** Splits a JSONL log into entries (numbered by position) and checkpoints. // untrusted: file content. */
export const parseJsonl = (text: string): { entries: StoredEntry[]; checkpoints: string[] } => {
  const entries: StoredEntry[] = [];
  const checkpoints: string[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    if (line.startsWith('{"checkpoint":')) {
      try {
        const value = (JSON.parse(line) as { checkpoint?: unknown }).checkpoint;
        if (typeof value === 'string') {
          checkpoints.push(value);
          continue;
        }
      } catch {
        // falls through: kept as an entry, which verify then reports
      }
    }
    entries.push({ seq: entries.length, body: line });
  }
  return { entries, checkpoints };
};
