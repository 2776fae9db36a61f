import { Worker } from 'node:worker_threads';

/**
 * The SQLite store's mover: a worker thread (`mover-worker.ts`) with a connection of its own that
 * copies the spool into the tables and checkpoints the write-ahead log, so the gateway's thread does
 * neither. It had done both: the copies stalled it for a third of a millisecond every few dozen
 * calls, a whole batch for one to four, and a checkpoint's fsyncs for three to ten.
 */

/** Entries copied into the table between two checkpoints of the write-ahead log (about 4 MB of log, SQLite's own default). */
export const WAL_CHECKPOINT_ENTRIES = 8000;
/** How long the mover waits for a lock another connection holds, in ms. */
export const MOVER_BUSY_MS = 250;
/**
 * How often the mover looks at how far the spool is written, in ms: the longest a line waits before it
 * is copied (and between two attempts after a failed copy).
 */
export const MOVER_POLL_MS = 50;
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
  readonly pollMs: number;
  readonly nice: number;
  /** Where the store's thread says how far the spool is written (`Written`). */
  readonly written: SharedArrayBuffer;
}

/** To the thread: the store is closing. */
export type MoverRequest = 'close';
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
  const written = new Written();
  const workerData: MoverData = {
    path: options.path,
    spoolPath: options.spoolPath,
    synchronous: options.synchronous,
    checkpointEvery: WAL_CHECKPOINT_ENTRIES,
    busyMs: MOVER_BUSY_MS,
    pollMs: MOVER_POLL_MS,
    nice: MOVER_NICE,
    written: written.buffer,
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
    spooled: (generation, bytes) => written.set(generation, bytes),
    close: () => {
      closing = true;
      worker.postMessage('close' satisfies MoverRequest);
    },
  };
};

/**
 * How far the spool is written (its generation and length), in memory both threads share: the store's
 * thread sets it after every write, the mover reads it when it looks. Not a message: posting one to the
 * mover cost the gateway's thread 25 to 80 µs and now and then 2 to 3.5 ms (it woke the mover, which the
 * kernel then ran on the gateway's core), 20 times a second. One writer; a sequence number, odd while a
 * write is under way, lets the reader see both fields of one write or try again at its next look.
 */
export class Written {
  readonly buffer: SharedArrayBuffer;
  private readonly words: Uint32Array;

  constructor(buffer = new SharedArrayBuffer(16)) {
    this.buffer = buffer;
    this.words = new Uint32Array(buffer);
  }

  /** The store's thread only. */
  set(generation: number, bytes: number): void {
    const seq = (this.words[0] as number) + 1;
    Atomics.store(this.words, 0, seq);
    Atomics.store(this.words, 1, generation);
    Atomics.store(this.words, 2, bytes % 2 ** 32);
    Atomics.store(this.words, 3, Math.floor(bytes / 2 ** 32));
    Atomics.store(this.words, 0, seq + 1);
  }

  /** The mover's thread: the last whole write, or undefined while one is under way. */
  get(): { generation: number; bytes: number } | undefined {
    const seq = Atomics.load(this.words, 0);
    if (seq % 2 === 1) return undefined;
    const generation = Atomics.load(this.words, 1);
    const bytes = Atomics.load(this.words, 3) * 2 ** 32 + Atomics.load(this.words, 2);
    return Atomics.load(this.words, 0) === seq ? { generation, bytes } : undefined;
  }
}
