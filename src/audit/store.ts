/** One stored entry: its sequence number as the store keeps it, and its canonical JSON. */
export interface StoredEntry {
  readonly seq: number;
  readonly body: string;
}

/**
 * Where entries and checkpoints live. Appends are synchronous for the embedded stores (the call waits
 * for them anyway); a networked store (Postgres) returns a promise and the log awaits it.
 */
export interface AuditStore {
  readonly location: string;
  append(entry: StoredEntry): void | Promise<void>;
  appendCheckpoint(size: number, note: string): void | Promise<void>;
  /**
   * A store that groups its writes (`group-commit.ts`): writes every line appended so far, or throws
   * (they stay pending). Absent when each append writes at once.
   */
  flush?(): void;
  /** Every entry in storage order (which is what `audit verify` checks). */
  entries(): StoredEntry[];
  /**
   * The same entries, streamed: what a gateway reads at start to rebuild the tree's right edge, in
   * memory bounded by one entry (or one read chunk), not by the size of the log.
   */
  eachEntry(): Iterable<StoredEntry>;
  checkpoints(): string[];
  close(): void;
}

export type Durability = 'normal' | 'full';

/** The filters of `audit query` and `tail`, over any store: each given field must match. */
export interface EntryFilter {
  readonly agent?: string | undefined;
  readonly server?: string | undefined;
  readonly tool?: string | undefined;
  readonly decision?: string | undefined;
  /** UTC ISO 8601 bounds on the entry's time. */
  readonly since?: string | undefined;
  readonly until?: string | undefined;
}
