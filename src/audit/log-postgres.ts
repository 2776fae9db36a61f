import { appendFileSync } from 'node:fs';
import type pg from 'pg';
import { AuditError } from '../errors.js';
import { signCheckpoint } from './checkpoint.js';
import { toEntryJson, type AuditEntry, type Recorded } from './event.js';
import type { AuditLogOptions, AuditSink, EntryFields } from './log.js';
import { CompactRange } from './merkle.js';
import { createPool, migrate, tablesOf, type PgTables } from './pg-schema.js';

export interface PostgresLogOptions extends AuditLogOptions {
  readonly url: string;
  readonly schema: string;
}

interface Waiting {
  readonly fields: EntryFields;
  readonly resolve: (entry: AuditEntry) => void;
  readonly reject: (error: Error) => void;
}

/** Entries one transaction takes at most: a bound on its statement, not a throttle (a busy replica runs batches back to back). */
const MAX_BATCH = 1000;

const hmacOf = (r: Recorded | undefined): string | null =>
  r !== undefined && 'hmac' in r ? r.hmac : null;

/**
 * The shared audit log: one Merkle log in Postgres for every replica. Postgres sequences it: each
 * batch locks the `head` row, numbers its entries after the last one any replica stored, chains each
 * to the tree head before it, and commits the rows, the new head and (when one is due) a signed
 * checkpoint in one transaction. An append's promise resolves once that transaction committed (so the
 * entry is durable before the message it records leaves: the chain awaits it), and rejects with
 * AUDIT_APPEND_FAILED when it did not: the call is refused, never forwarded unlogged.
 *
 * Group commit: the appends of one turn of the event loop, and every append made while a batch is in
 * flight, go in the next batch, so under load a replica pays one transaction per batch, not per call.
 * Postgres down: every batch fails (its calls are refused) until a connection succeeds again; the
 * migrations are retried with it.
 */
export class PostgresAuditLog implements AuditSink {
  private readonly pool: pg.Pool;
  private readonly tables: PgTables;
  private waiting: Waiting[] = [];
  private running: Promise<void> | undefined;
  private migrated: Promise<void> | undefined;
  private checkpointDue = false;
  private closed = false;
  private ended: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  private lastFailure: string | undefined;

  private readonly options: PostgresLogOptions;

  constructor(options: PostgresLogOptions) {
    this.options = options;
    this.tables = tablesOf(options.schema);
    this.pool = createPool(options.url, 2);
    // An idle connection that breaks (Postgres restarted) is dropped by the pool; the next batch reconnects.
    this.pool.on('error', (error) => this.warn(error));
    this.timer = setInterval(() => this.checkpoint(), options.everySeconds * 1000);
    this.timer.unref();
  }

  /** Where the log is, for the operator: the URL without its password. */
  get location(): string {
    const url = new URL(this.options.url);
    url.password = '';
    return `${url.toString()} schema ${this.options.schema}`;
  }

  /** Migrates the schema (once; again after a failure): what a start awaits to refuse an unusable store. */
  ready(): Promise<void> {
    this.migrated ??= this.pool.connect().then(async (client) => {
      try {
        await migrate(client, this.options.schema);
        client.release();
      } catch (error) {
        client.release(error as Error);
        throw error;
      }
    });
    this.migrated.catch(() => (this.migrated = undefined));
    return this.migrated;
  }

  append(fields: EntryFields): Promise<AuditEntry> {
    if (this.closed) return Promise.reject(this.failure(new Error('the audit log is closed')));
    return new Promise((resolve, reject) => {
      this.waiting.push({ fields, resolve, reject });
      this.kick();
    });
  }

  /** Signs a checkpoint of the shared tree in the next batch, if it grew since the last one any replica signed. */
  checkpoint(): void {
    this.checkpointDue = true;
    this.kick();
  }

  /** Starts a batch at the end of this turn (so the turn's appends join it), unless one is in flight. */
  private kick(): void {
    if (this.running) return;
    this.running = new Promise<void>((done) => setImmediate(done))
      .then(() => this.drain())
      .finally(() => {
        this.running = undefined;
        if (this.waiting.length > 0 || this.checkpointDue) this.kick();
      });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0 || this.checkpointDue) {
      const batch = this.waiting.splice(0, MAX_BATCH);
      const force = this.checkpointDue;
      this.checkpointDue = false;
      try {
        const stored = await this.commit(batch, force);
        this.lastFailure = undefined;
        for (const [i, w] of batch.entries()) {
          const entry = stored[i];
          if (entry instanceof Error) w.reject(this.failure(entry));
          else if (entry) {
            this.options.onEntry?.(entry);
            w.resolve(entry);
          }
        }
      } catch (error) {
        const failure = this.failure(error as Error);
        for (const w of batch) w.reject(failure);
        if (force && batch.length === 0) return; // a timer checkpoint waits for the next tick or append
      }
    }
  }

  /** One transaction: lock the head, number and chain the batch, store rows, head and checkpoint, commit. */
  private async commit(batch: readonly Waiting[], force: boolean): Promise<(AuditEntry | Error)[]> {
    await this.ready();
    const client = await this.pool.connect();
    const t = this.tables;
    try {
      await client.query('BEGIN');
      const head = await client.query<{ size: string; edge: string[]; checkpointed: string }>(
        `SELECT size, edge, checkpointed FROM ${t.head} WHERE id = 1 FOR UPDATE`,
      );
      const row = head.rows[0];
      if (!row) throw new Error(`${t.head} has no row: the schema was damaged`);
      const range = CompactRange.fromEdge(Number(row.size), row.edge);
      const time = new Date().toISOString();
      const results: (AuditEntry | Error)[] = [];
      const rows: { entry: AuditEntry; body: string }[] = [];
      for (const w of batch) {
        const entry: AuditEntry = {
          v: 1,
          seq: range.size,
          time,
          prev: range.rootHex(),
          ...w.fields,
        };
        try {
          const body = toEntryJson(entry);
          range.appendBody(body);
          rows.push({ entry, body });
          results.push(entry);
        } catch (error) {
          results.push(error as Error); // this entry alone cannot be serialized; the others go on
        }
      }
      const checkpointed = Number(row.checkpointed);
      const due =
        range.size > checkpointed &&
        (force || range.size - checkpointed >= this.options.everyEntries);
      const note = due
        ? signCheckpoint(
            { origin: this.options.origin, size: range.size, root: range.root() },
            this.options.signer,
          )
        : null;
      if (rows.length > 0 || note !== null)
        await client.query(
          `WITH e AS (
             INSERT INTO ${t.entries} (seq, body, time, decision, principal, server, target, call, args_hmac, result_hmac)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
           ), c AS (
             INSERT INTO ${t.checkpoints} (size, note) SELECT $11, $12::text WHERE $12::text IS NOT NULL
           )
           UPDATE ${t.head} SET size = $11, edge = $13, checkpointed = $14 WHERE id = 1`,
          [
            rows.map((r) => r.entry.seq),
            rows.map((r) => r.body),
            rows.map((r) => r.entry.time),
            rows.map((r) => r.entry.decision),
            rows.map((r) => r.entry.principal ?? null),
            rows.map((r) => r.entry.server ?? null),
            rows.map((r) => r.entry.target ?? null),
            rows.map((r) => r.entry.call ?? null),
            rows.map((r) => hmacOf(r.entry.args)),
            rows.map((r) => hmacOf(r.entry.result)),
            range.size,
            note,
            range.edge(),
            note === null ? checkpointed : range.size,
          ],
        );
      await client.query('COMMIT');
      client.release();
      if (note !== null && this.options.witnessFile) this.witness(range.size, note);
      return results;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(error as Error);
      throw error;
    }
  }

  private witness(size: number, note: string): void {
    try {
      appendFileSync(
        this.options.witnessFile as string,
        JSON.stringify({ checkpoint: note }) + '\n',
      );
    } catch (error) {
      this.options.onWarning?.(
        `audit checkpoint at size ${size} not copied to the witness: ${(error as Error).message}`,
      );
    }
  }

  /** Final checkpoint (after every append made so far), then the pool is closed; `flush` waits for it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.checkpoint();
    const running = this.running ?? Promise.resolve();
    this.ended = running.then(() => this.pool.end()).catch((error: unknown) => this.warn(error));
  }

  async flush(): Promise<void> {
    await (this.ended ?? this.running);
  }

  private warn(error: unknown): void {
    this.options.onWarning?.(`audit log ${this.location}: ${(error as Error).message}`);
  }

  /** As `AuditLog`'s: the client learns the call was refused; the operator, once per cause, why. */
  private failure(cause: Error): AuditError {
    if (cause.message !== this.lastFailure) {
      this.lastFailure = cause.message;
      this.options.onWarning?.(
        `audit log ${this.location} cannot record: ${cause.message}; messages are refused until it can`,
      );
    }
    return new AuditError(
      'AUDIT_APPEND_FAILED',
      'audit log unavailable: nothing leaves the gateway unlogged',
      { cause },
    );
  }
}
