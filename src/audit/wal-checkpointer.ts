import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * The SQLite store's write-ahead-log checkpoints, on a thread of their own.
 *
 * In WAL mode with `synchronous=NORMAL`, a commit does not sync; a checkpoint (copying the log into
 * the database) fsyncs the log and the database. SQLite runs one inside the commit that passes
 * `wal_autocheckpoint` pages, so the gateway's main thread stalled for 3 to 10 ms (`perf trace`,
 * five or six times in 4000 calls), and writes of that thread to the same file waited behind the
 * fsync too: the audited relay's p99. Here the store's connection does no checkpoints
 * (`wal_autocheckpoint=0`) and a worker thread, holding a second connection to the same file, runs
 * `wal_checkpoint(PASSIVE)` (which never blocks the writer) every `every` moved entries, a few passes
 * until the log is copied whole: only then does the writer's next commit start the log over.
 *
 * Bounded whatever happens. A writer that commits again before the worker's news arrives never
 * finds the log copied whole, so the log is never started over and grows (a store moving entries
 * flat out did that): when the worker's passes leave a log of `capFrames` pages or more, or the worker
 * reports nothing for `cap` entries, the store's own connection checkpoints (`here`, between two
 * of its commits, so it copies the log whole and the next commit starts it over). If the worker
 * cannot run at all (it failed to start, a checkpoint failed), `fallback` hands checkpoints back to
 * SQLite's own.
 */
/** Entries moved into the table between two requests to the worker (about 4 MB of log, SQLite's own default). */
export const WAL_CHECKPOINT_ENTRIES = 8000;
/** Entries moved without news from the worker past which the store's own connection checkpoints. */
export const WAL_CAP_ENTRIES = 4 * WAL_CHECKPOINT_ENTRIES;
/** Pages (4 KiB) left in the log after the worker's passes past which the store's own connection checkpoints. */
export const WAL_CAP_PAGES = 4000;

export interface WalCheckpointer {
  /** Counts `n` entries just committed by the store's connection. */
  moved(n: number): void;
  /** Closes the worker's connection and lets the thread end (not waited for). */
  close(): void;
}

export interface WalCheckpointerOptions {
  readonly path: string;
  readonly synchronous: 'NORMAL' | 'FULL';
  /** Entries between two requests to the worker. */
  readonly every: number;
  /** Entries committed without news from the worker past which `here` runs. */
  readonly cap: number;
  /** Pages in the log, reported after a whole pass, past which `here` runs. */
  readonly capFrames: number;
  /** A checkpoint on the caller's own connection (the writer's: it copies the log whole). */
  readonly here: () => void;
  /** The worker cannot checkpoint: the caller's connection must do it from now on. */
  readonly fallback: (why: string) => void;
}

// Written to run as a CommonJS or an ES module script (an eval worker takes the parent's
// --input-type), so it takes its modules through getBuiltinModule and import(). It posts the
// log's length in pages after its last pass, or the message of an error.
const WORKER = `
const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
let db;
let pass;
let asked = false;
let closed = false;
// SQLite's errors do not survive the trip to the parent thread whole: their message is posted.
const failed = (error) => parentPort.postMessage(String((error && error.message) || error));
// A few passes, until the log is copied whole (the writer appends meanwhile): only then does the
// writer's next commit start the log over. Not more: each pass with pages to copy fsyncs twice.
const checkpoint = (passes = 1) => {
  if (closed) return;
  try {
    const { log, checkpointed } = pass.get();
    if (checkpointed < log && passes < 4) return void setTimeout(checkpoint, 5, passes + 1);
    parentPort.postMessage(log);
  } catch (error) {
    failed(error);
  }
  asked = false;
};
import(workerData.module).then(({ default: Database }) => {
  if (closed) return; // the store closed before this thread got going
  db = new Database(workerData.path, { timeout: 5000 });
  db.exec('PRAGMA synchronous = ' + workerData.synchronous);
  pass = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  if (asked) checkpoint();
}).catch(failed);
parentPort.on('message', (message) => {
  if (message === 'close') {
    closed = true;
    db?.close();
    parentPort.close();
  } else if (!asked) {
    asked = true;
    if (db) setImmediate(checkpoint);
  }
});
`;

/**
 * @example
 * const checkpointer = startWalCheckpointer({ path, synchronous: 'NORMAL', every: 8000, cap: 32000, capFrames: 4000, here, fallback });
 * checkpointer.moved(32); // after each committed move
 */
export const startWalCheckpointer = (options: WalCheckpointerOptions): WalCheckpointer => {
  const module = pathToFileURL(createRequire(import.meta.url).resolve('better-sqlite3')).href;
  const worker = new Worker(WORKER, { eval: true, workerData: { module, path: options.path, synchronous: options.synchronous } });
  let failed = false;
  /** Entries committed since the worker last reported, and since the last request. */
  let behind = 0;
  let sinceAsked = 0;
  const fail = (why: string) => {
    if (failed) return;
    failed = true;
    options.fallback(why);
  };
  const here = () => {
    options.here();
    behind = sinceAsked = 0;
  };
  worker.on('message', (message: number | string) => {
    if (typeof message === 'string') return fail(message);
    behind = 0;
    if (message >= options.capFrames && !failed) here();
  });
  worker.on('error', (error) => fail(String((error as Error | undefined)?.message ?? error)));
  worker.unref(); // after the listeners: adding a 'message' listener refs the worker again
  return {
    moved: (n) => {
      if (failed) return;
      behind += n;
      sinceAsked += n;
      if (behind >= options.cap) here();
      else if (sinceAsked >= options.every) {
        sinceAsked = 0;
        worker.postMessage('checkpoint');
      }
    },
    close: () => worker.postMessage('close'),
  };
};
