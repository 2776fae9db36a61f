import pg from 'pg';
import type { EntryFilter, StoredEntry } from './store.js';
import { tablesOf } from './pg-schema.js';

/** What `audit query` filters on; each maps to an indexed column of `entries`. */
export interface PgQuery extends EntryFilter {
  /** The HMAC digest of a value: entries whose arguments or result carry it. */
  readonly digest?: string | undefined;
}

/**
 * Read access to a Postgres log for `toolgate audit verify/query/tail/export/prove`: one short-lived
 * connection, read-only transactions. The rows are read as stored: `audit verify` recomputes everything
 * from `seq` and `body`, so an edited row is found, not trusted.
 */
export class PgLogReader {
  private readonly client: pg.Client;
  private readonly t;

  private constructor(client: pg.Client, schema: string) {
    this.client = client;
    this.t = tablesOf(schema);
  }

  static async open(url: string, schema: string): Promise<PgLogReader> {
    const client = new pg.Client({ connectionString: url, application_name: 'toolgate-audit' });
    await client.connect();
    const reader = new PgLogReader(client, schema);
    const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [
      `${reader.t.schema}.entries`,
    ]);
    if (!exists.rows[0]?.t) {
      await client.end();
      throw new Error(`no audit log in schema ${schema} (no gateway has started on it yet)`);
    }
    return reader;
  }

  /** Every entry in sequence order and every checkpoint in tree-size order (as `audit verify` reads them). */
  async log(): Promise<{ entries: StoredEntry[]; checkpoints: string[] }> {
    await this.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      const entries = await this.client.query<{ seq: string; body: string }>(
        `SELECT seq, body FROM ${this.t.entries} ORDER BY seq`,
      );
      const checkpoints = await this.client.query<{ note: string }>(
        `SELECT note FROM ${this.t.checkpoints} ORDER BY size, id`,
      );
      return {
        entries: entries.rows.map((r) => ({ seq: Number(r.seq), body: r.body })),
        checkpoints: checkpoints.rows.map((r) => r.note),
      };
    } finally {
      await this.client.query('COMMIT');
    }
  }

  /** The last `n` entries, oldest first. */
  async tail(n: number): Promise<StoredEntry[]> {
    const rows = await this.client.query<{ seq: string; body: string }>(
      `SELECT seq, body FROM (SELECT seq, body FROM ${this.t.entries} ORDER BY seq DESC LIMIT $1) last ORDER BY seq`,
      [Math.max(0, Math.floor(n))],
    );
    return rows.rows.map((r) => ({ seq: Number(r.seq), body: r.body }));
  }

  /** Up to `limit` entries after `seq`, oldest first: what `audit tail --follow` polls for. */
  async after(seq: number, limit = 10_000): Promise<StoredEntry[]> {
    const rows = await this.client.query<{ seq: string; body: string }>(
      `SELECT seq, body FROM ${this.t.entries} WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [Math.floor(seq), limit],
    );
    return rows.rows.map((r) => ({ seq: Number(r.seq), body: r.body }));
  }

  /**
   * Entries matching every given filter, in sequence order, found through the indexes. The columns
   * are copies of body fields, so the caller re-checks each body (a row edited in one place only is
   * not reported as what it is not).
   */
  async query(q: PgQuery): Promise<StoredEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (q.agent !== undefined) add((p) => `principal = ${p}`, q.agent);
    if (q.server !== undefined) add((p) => `server = ${p}`, q.server);
    if (q.tool !== undefined) add((p) => `target = ${p}`, q.tool);
    if (q.decision !== undefined) add((p) => `decision = ${p}`, q.decision);
    if (q.since !== undefined) add((p) => `time >= ${p}::timestamptz`, q.since);
    if (q.until !== undefined) add((p) => `time <= ${p}::timestamptz`, q.until);
    if (q.digest !== undefined) add((p) => `(args_hmac = ${p} OR result_hmac = ${p})`, q.digest);
    const rows = await this.client.query<{ seq: string; body: string }>(
      `SELECT seq, body FROM ${this.t.entries}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq`,
      params,
    );
    return rows.rows.map((r) => ({ seq: Number(r.seq), body: r.body }));
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
