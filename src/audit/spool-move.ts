import type Database from 'better-sqlite3';
import { splitSpool } from './spool.js';

export interface SpoolMove {
  /**
   * Copies a spool's text into the tables in one write transaction (taken at once, so two movers never
   * interleave): the entries numbered past the table's last, and the checkpoints the table lacks. What
   * the table already holds is skipped, so a text may repeat moved lines; a number repeated inside the
   * text fails the whole transaction (a tampered spool). `before` numbers a first line without a
   * number (see `parseSpool`). Returns the number of entries copied and the last number seen.
   */
  move(text: string, before?: number): { copied: number; last: number };
  /** Every statement it prepared, to be kept reachable as long as the connection (see store-sqlite.ts). */
  readonly statements: readonly unknown[];
}

/** The move of spooled lines into `entries` and `checkpoints`, shared by the store's connection and its mover thread's. */
export const spoolMove = (db: Database.Database): SpoolMove => {
  const lastSeq = db.prepare('SELECT max(seq) FROM entries').pluck();
  const insert = db.prepare('INSERT INTO entries (seq, body) VALUES (?, ?)');
  const insertCheckpoint = db.prepare('INSERT INTO checkpoints (size, note) SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM checkpoints WHERE size = ? AND note = ?)');
  const copy = db.transaction((text: string, before: number) => {
    const after = (lastSeq.get() as number | null) ?? -1;
    let copied = 0;
    let last = before;
    const { entries, checkpoints } = splitSpool(text, before);
    for (const e of entries) {
      last = e.seq;
      if (e.seq <= after) continue;
      insert.run(e.seq, e.body);
      copied++;
    }
    for (const c of checkpoints) insertCheckpoint.run(c.size, c.note, c.size, c.note);
    return { copied, last };
  });
  return {
    move: (text, before = -1) => copy.immediate(text, before),
    statements: [lastSeq, insert, insertCheckpoint, copy],
  };
};
