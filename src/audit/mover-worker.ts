import { closeSync, openSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { Written, type MoverData, type MoverReport, type MoverRequest } from './mover.js';
import { readAt } from './spool.js';
import { spoolMove } from './spool-move.js';

/**
 * The SQLite store's mover thread (started by `mover.ts`): every `pollMs` it looks how far the store's
 * thread has written the spool (`Written`), reads it from where it stopped up to there, copies those
 * lines into the tables on a connection of its own, and reports how far it got; every
 * `checkpointEvery` copied entries it checkpoints the write-ahead log. A failed copy is tried again at
 * the next look. Its statements live as long as the thread (see store-sqlite.ts).
 */
const data = workerData as MoverData;
const port = parentPort as NonNullable<typeof parentPort>;

// Below the gateway's thread (on Linux a thread's nice value is its own): on busy cores a copy must
// not take the core a call needs. It still gets its share, and it has time: the spool holds the lines.
try {
  setPriority(Math.min(19, getPriority() + data.nice));
} catch {
  // not allowed here: the thread keeps the process's priority
}
const report = (message: MoverReport) => port.postMessage(message);

let db: Database.Database | undefined;
let mover: ReturnType<typeof spoolMove> | undefined;
let checkpoint: Database.Statement | undefined;
let closed = false;

/** The spool generation being read, its descriptor, how many of its bytes are copied, and the last number read. */
let generation = -1;
let fd: number | undefined;
let offset = 0;
let lastSeq = -1;
const written = new Written(data.written);
let copiedSinceCheckpoint = 0;
/** The last attempt failed: the next look tries again even if nothing new was written. */
let failing = false;

const open = (): Database.Database => {
  const opened = new Database(data.path, { timeout: data.busyMs });
  opened.exec(`PRAGMA synchronous = ${data.synchronous}; PRAGMA wal_autocheckpoint = 0`);
  mover = spoolMove(opened);
  checkpoint = opened.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  return opened;
};

/** Reads the bytes of the current generation from `offset` up to `bytes`: whole lines only. */
const readLines = (bytes: number): { text: string; length: number } => {
  const { buffer, got } = readAt(fd as number, offset, bytes - offset);
  // Only bytes read count (a file cut short meanwhile must not expose the rest of the buffer).
  const length = buffer.subarray(0, got).lastIndexOf(10) + 1;
  return { text: buffer.toString('utf8', 0, length), length };
};

const run = (): void => {
  if (closed) return;
  const wanted = written.get();
  if (!wanted || (wanted.generation === generation && wanted.bytes === offset && !failing)) return; // a write under way, or nothing new
  try {
    db ??= open();
    if (wanted.generation !== generation) {
      // The store replaced the spool: the new file starts with every line not yet copied.
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      fd = openSync(data.spoolPath, 'r');
      generation = wanted.generation;
      offset = 0;
    }
    if (wanted.bytes > offset) {
      const { text, length } = readLines(wanted.bytes);
      if (length > 0) {
        const { copied, last } = (mover as NonNullable<typeof mover>).move(text, lastSeq);
        offset += length;
        lastSeq = last;
        copiedSinceCheckpoint += copied;
      }
    }
    failing = false;
    report({ generation, offset });
    if (copiedSinceCheckpoint >= data.checkpointEvery) {
      // Between two of this thread's own commits, so a pass copies the log whole and the next commit
      // starts it over; its fsyncs stall nobody but this thread.
      copiedSinceCheckpoint = 0;
      checkpoint?.get();
    }
  } catch (error) {
    // Nothing is lost (the lines stay in the spool); the store fails its appends until a later run succeeds.
    failing = true;
    report({ failed: String((error as Error | undefined)?.message ?? error) });
  }
};

// Its own timer, not a wake-up from the store's thread (see `Written`).
const looks = setInterval(run, data.pollMs);

port.on('message', (message: MoverRequest) => {
  if (message !== 'close') return;
  closed = true;
  clearInterval(looks);
  if (fd !== undefined) closeSync(fd);
  db?.close();
  port.close();
});
