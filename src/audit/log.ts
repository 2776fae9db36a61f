import { appendFileSync } from 'node:fs';
import { AuditError } from '../errors.js';
import { toEntryJson, type AuditEntry } from './event.js';
import { CompactRange } from './merkle.js';
import { signCheckpoint, type Signer } from './checkpoint.js';
import type { AuditStore } from './store.js';
import { registerPendingWriter } from './group-commit.js';

export type EntryFields = Omit<AuditEntry, 'v' | 'seq' | 'time' | 'prev'>;

export interface AuditLogOptions {
  readonly signer: Signer;
  readonly origin: string;
  readonly everyEntries: number;
  readonly everySeconds: number;
  readonly witnessFile?: string;
  /** Receives every checkpoint as a POST (the signed note, text/plain). */
  readonly witnessUrl?: string;
  /** Told of every appended entry (OpenTelemetry logs); must not throw. */
  readonly onEntry?: (entry: AuditEntry) => void;
  /** Told when a checkpoint or witness copy fails, or when lines could not be written at close. */
  readonly onWarning?: (message: string) => void;
}

/** What the chain and the gateway use of a log: the embedded `AuditLog` or the shared `PostgresAuditLog`. */
export interface AuditSink {
  append(fields: EntryFields): AuditEntry | Promise<AuditEntry>;
  /** Final checkpoint, then the store is closed (never throws; problems go to `onWarning`). */
  close(): void;
  /** Waits for what `close` and the checkpoints left in flight. */
  flush(): Promise<void>;
}

/**
 * The append-only log: numbers entries, chains each to the tree head before it, stores it and
 * checkpoints the tree. An append the store refuses fails the call (AUDIT_APPEND_FAILED), which is
 * denied instead of forwarded unlogged.
 */
export class AuditLog implements AuditSink {
  private readonly range = new CompactRange();
  private readonly timer: NodeJS.Timeout;
  private checkpointed = 0;
  private closed = false;
  /** The cause of the last refused append, so the operator is warned once per episode, not once per call. */
  private lastFailure: string | undefined;
  private readonly store: AuditStore;
  private readonly options: AuditLogOptions;
  /** Witness posts in flight; `flush` waits for them (the shutdown checkpoint must reach the witness). */
  private readonly posts = new Set<Promise<void>>();
  /** Removes the store's pending lines from the group commit (`group-commit.ts`), if it groups them. */
  private readonly unregister: (() => void) | undefined;

  constructor(store: AuditStore, options: AuditLogOptions) {
    this.options = options;
    this.store = store;
    // Resume: rebuild the tree's right edge from what is stored (the store is the source of truth).
    for (const e of store.eachEntry()) this.range.appendBody(e.body);
    this.checkpointed = this.range.size;
    this.head = this.range.rootHex();
    this.timer = setInterval(() => this.checkpoint(), options.everySeconds * 1000);
    this.timer.unref();
    const flush = store.flush?.bind(store);
    if (flush)
      this.unregister = registerPendingWriter(() => {
        try {
          flush();
          this.lastFailure = undefined;
        } catch (cause) {
          throw this.failure(cause as Error);
        }
      });
  }

  get size(): number {
    return this.range.size + (this.unsettled === undefined ? 0 : 1);
  }

  /**
   * Appends one entry; throws `AUDIT_APPEND_FAILED` if it cannot be stored. Synchronous when the
   * store is (the embedded one): when this returns the entry is stored, or pending in the store's
   * group commit, which writes it before anything leaves the gateway
   * (`group-commit.ts`); no promise or microtask on the call's path. A networked store's append is a
   * promise, and so is the answer then.
   */
  append(fields: EntryFields): AuditEntry | Promise<AuditEntry> {
    if (this.closed) throw this.failure(new Error('the audit log is closed'));
    this.settle();
    const entry: AuditEntry = {
      v: 1,
      seq: this.range.size,
      time: this.now(),
      prev: this.head,
      ...fields,
    };
    const body = toEntryJson(entry);
    let pending: void | Promise<void>;
    try {
      // Reserve the number before any await so concurrent appends never share one.
      pending = this.store.append({ seq: entry.seq, body });
      this.unsettled = body;
      if (!this.deferred) {
        this.deferred = true;
        setImmediate(this.afterTurn);
      }
    } catch (cause) {
      throw this.failure(cause as Error);
    }
    if (pending)
      return pending.then(
        () => this.stored(entry),
        (cause: unknown) => {
          throw this.failure(cause as Error);
        },
      );
    return this.stored(entry);
  }

  private stored(entry: AuditEntry): AuditEntry {
    this.options.onEntry?.(entry);
    return entry;
  }

  /**
   * Puts the last appended entry into the tree, takes the tree head that the next entry records as its
   * `prev`, and checkpoints when one is due. None of this hashing (the entry's leaf, then one node per
   * perfect subtree of the tree) is needed before the entry's message leaves, only before the next
   * append. So an append leaves it for later (`afterTurn`), to run while the server or the client works
   * on that message, and the next append does it first if it is still to do. The entry itself, its
   * body and so its leaf, is fixed and stored at its append.
   */
  private settle(): void {
    const body = this.unsettled;
    if (body === undefined) return;
    this.unsettled = undefined;
    this.range.appendBody(body);
    this.head = this.range.rootHex();
    if (this.range.size - this.checkpointed >= this.options.everyEntries) this.checkpoint();
  }

  /** The body of the last entry appended, stored but not yet in the tree (see `settle`). */
  private unsettled: string | undefined;
  /** The tree head of `range`: the next entry's `prev`. */
  private head = '';
  private deferred = false;
  /**
   * Two immediates: the first runs at the end of the turn that appended, before the transports' own
   * (queued after it), which send the message; the second runs at the end of the next turn.
   */
  private readonly afterTurn = (): void => {
    setImmediate(this.settleDeferred);
  };
  private readonly settleDeferred = (): void => {
    this.deferred = false;
    this.settle();
  };

  /** The time of an entry; the ISO form is made once per millisecond (several appends share one). */
  private now(): string {
    const ms = Date.now();
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastTime = new Date(ms).toISOString();
    }
    return this.lastTime;
  }
  private lastMs = -1;
  private lastTime = '';

  /** Signs and stores a checkpoint of the current tree (and copies it to the witness), if it grew. */
  checkpoint(): void {
    this.settle();
    if (this.range.size === this.checkpointed) return;
    const size = this.range.size;
    const note = signCheckpoint(
      { origin: this.options.origin, size, root: this.range.root() },
      this.options.signer,
    );
    try {
      void this.store.appendCheckpoint(size, note);
      this.checkpointed = size;
    } catch (error) {
      this.options.onWarning?.(
        `audit checkpoint at size ${size} not stored: ${(error as Error).message}`,
      );
      return;
    }
    if (!this.options.witnessFile && !this.options.witnessUrl) return;
    try {
      this.store.flush?.(); // the witness never holds a checkpoint the log could lose
    } catch (error) {
      this.options.onWarning?.(
        `audit checkpoint at size ${size} not written, so not copied to the witness: ${(error as Error).message}`,
      );
      return;
    }
    if (this.options.witnessFile)
      try {
        appendFileSync(this.options.witnessFile, JSON.stringify({ checkpoint: note }) + '\n');
      } catch (error) {
        this.options.onWarning?.(
          `audit checkpoint at size ${size} not copied to the witness: ${(error as Error).message}`,
        );
      }
    if (this.options.witnessUrl) this.post(this.options.witnessUrl, size, note);
  }

  /** Posts one checkpoint to the witness URL; a failure or a non-2xx answer is reported, never dropped silently. */
  private post(url: string, size: number, note: string): void {
    const warn = (why: string) =>
      this.options.onWarning?.(
        `audit checkpoint at size ${size} not accepted by the witness ${url}: ${why}`,
      );
    const sent = fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: note,
      signal: AbortSignal.timeout(10_000),
    })
      .then(
        async (res) => {
          await res.body?.cancel();
          if (!res.ok) warn(`HTTP ${res.status}`);
        },
        (error: unknown) =>
          warn(
            (error as Error).cause instanceof Error
              ? `${(error as Error).message} (${((error as Error).cause as Error).message})`
              : (error as Error).message,
          ),
      )
      .finally(() => this.posts.delete(sent));
    this.posts.add(sent);
  }

  /** Waits for the witness posts in flight. */
  async flush(): Promise<void> {
    await Promise.all([...this.posts]);
  }

  /**
   * Final checkpoint, then closes the store. Never throws: lines the store could not write (a full
   * disk, a deleted log) are reported through `onWarning`; the messages they record never left.
   */
  close(): void {
    if (this.closed) return;
    this.checkpoint();
    this.closed = true;
    clearInterval(this.timer);
    this.unregister?.();
    try {
      this.store.close();
    } catch (error) {
      this.options.onWarning?.(
        `audit log ${this.store.location}: lines not written at close (the messages they record were not sent): ${(error as Error).message}`,
      );
    }
  }

  /**
   * The error every refused message carries to its client: it says what happened to the call, never
   * where the log is or what the OS said (that is the operator's: warned once per distinct cause).
   */
  private failure(cause: Error): AuditError {
    if (cause.message !== this.lastFailure) {
      this.lastFailure = cause.message;
      this.options.onWarning?.(
        `audit log ${this.store.location} cannot record: ${cause.message}; messages are refused until it can`,
      );
    }
    return new AuditError(
      'AUDIT_APPEND_FAILED',
      'audit log unavailable: nothing leaves the gateway unlogged',
      { cause },
    );
  }
}
