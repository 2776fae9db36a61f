import { Worker } from 'node:worker_threads';

/**
 * The SQLite store's mover: a worker thread (`mover-worker.ts`) with a connection of its own that
 * copies the spool into the tables and checkpoints the write-ahead log, so the gateway's thread does
 * neither. It had done both: the copies stalled it for a third of a millisecond every few dozen
 * calls, a whole batch for one to four, and a checkpoint's fsyncs for three to ten.
 */

/** Entries copied into the table between two checkpoints of the write-ahead log (about 4 MB of log, SQLite's own default). */
export const WAL_CHECKPOINT_ENTRIES = 8000;
/** How long the mover waits for a lock another connection holds, and then between two attempts, in ms. */
export const MOVER_BUSY_MS = 250;
export const MOVER_RETRY_MS = 50;
/** How much lower the mover thread's CPU priority is than the gateway's (nice value; a copy took a core from calls). */
export const MOVER_NICE = 10;

/**
 * The thread starts from a script that imports `mover-worker.js`. Not from the file itself: a worker
 * takes the process's node options, and one started with `--input-type` (a script run with `-e`)
 * refuses a file; passing its own `execArgv` instead throws on V8 options (`--max-old-space-size`).
 * An import() runs as CommonJS or ESM alike, whichever `--input-type` the eval takes.
 */
const BOOT = `import('node:worker_threads').then(({ workerData }) => import(workerData.entry))`;

export interface MoverData {
  readonly path: string;
  readonly spoolPath: string;
  readonly synchronous: 'NORMAL' | 'FULL';
  readonly checkpointEvery: number;
  readonly busyMs: number;
  readonly retryMs: number;
  readonly nice: number;
}

/** To the thread: the spool of `generation` holds `bytes` bytes of whole lines; or the store is closing. */
export type MoverRequest = { readonly generation: number; readonly bytes: number } | 'close';
/** From the thread: every line of `generation` before `offset` is in the tables; or why the last attempt failed. */
export type MoverReport = { readonly generation: number; readonly offset: number } | { readonly failed: string };

export interface MoverOptions {
  readonly path: string;
  readonly spoolPath: string;
  readonly synchronous: 'NORMAL' | 'FULL';
  /** Every line of `generation` before `offset` is in the tables. */
  readonly moved: (generation: number, offset: number) => void;
  /** The last attempt failed (the lines stay in the spool; the thread tries again). Never throws. */
  readonly failed: (why: string) => void;
}

export interface Mover {
  /** The spool of `generation` now holds `bytes` bytes of whole lines. */
  spooled(generation: number, bytes: number): void;
  /** Ends the thread after its current copy (not waited for: the store's close copies what is left itself). */
  close(): void;
}

/**
 * @example
 * const mover = startMover({ path, spoolPath, synchronous: 'NORMAL', moved, failed });
 * mover.spooled(0, 4096);
 */
export const startMover = (options: MoverOptions): Mover => {
  const workerData: MoverData = {
    path: options.path,
    spoolPath: options.spoolPath,
    synchronous: options.synchronous,
    checkpointEvery: WAL_CHECKPOINT_ENTRIES,
    busyMs: MOVER_BUSY_MS,
    retryMs: MOVER_RETRY_MS,
    nice: MOVER_NICE,
  };
  const worker = new Worker(BOOT, { eval: true, workerData: { ...workerData, entry: new URL('./mover-worker.js', import.meta.url).href } });
  let closing = false;
  worker.on('message', (message: MoverReport) => {
    if ('failed' in message) options.failed(message.failed);
    else options.moved(message.generation, message.offset);
  });
  worker.on('error', (error) => options.failed(String((error as Error | undefined)?.message ?? error)));
  worker.on('exit', () => {
    if (!closing) options.failed('the audit mover thread stopped');
  });
  worker.unref(); // after the listeners: adding a 'message' listener refs the worker again
  return {
    spooled: (generation, bytes) => worker.postMessage({ generation, bytes } satisfies MoverRequest),
    close: () => {
      closing = true;
      worker.postMessage('close' satisfies MoverRequest);
    },
  };
};
