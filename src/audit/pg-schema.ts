import { createRequire } from 'node:module';
import type pg from 'pg';
import { AuditError } from '../errors.js';

/**
 * The Postgres audit store's tables, one SQL schema per log:
 * - `entries`: one row per entry, its canonical body (what the tree hashes, what `audit verify` reads)
 *   and, copied from the body for indexed `audit query`, the fields a query filters on;
 * - `checkpoints`: the signed notes, in the order they were stored;
 * - `head`: one row, the tree's size and right edge (`CompactRange.edge`) and the size last
 *   checkpointed. Every batch locks it (`FOR UPDATE`), so batches from any number of replicas take
 *   their sequence numbers one after another, each entry chained to the tree head before it;
 * - `migrations`: the versions applied.
 */
export interface PgTables {
  readonly schema: string;
  readonly entries: string;
  readonly checkpoints: string;
  readonly head: string;
  readonly migrations: string;
}

/** Table names of a schema; the name was checked against `[a-z_][a-z0-9_]*` by the config schema, and is quoted anyway. */
export const tablesOf = (schema: string): PgTables => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new TypeError(`"${schema}" is not a lower-case SQL identifier`);
  const q = `"${schema}"`;
  return {
    schema: q,
    entries: `${q}.entries`,
    checkpoints: `${q}.checkpoints`,
    head: `${q}.head`,
    migrations: `${q}.migrations`,
  };
};

/** Versioned migrations, applied in order at start; a version once released is never edited. */
const MIGRATIONS: readonly { version: number; sql: (t: PgTables) => string }[] = [
  {
    version: 1,
    sql: (t) => `
      CREATE TABLE ${t.entries} (
        seq bigint PRIMARY KEY,
        body text NOT NULL,
        time timestamptz NOT NULL,
        decision text NOT NULL,
        principal text,
        server text,
        target text,
        call text,
        args_hmac text,
        result_hmac text
      );
      CREATE INDEX ON ${t.entries} (time);
      CREATE INDEX ON ${t.entries} (principal, time);
      CREATE INDEX ON ${t.entries} (server, target, time);
      CREATE INDEX ON ${t.entries} (decision, time);
      CREATE INDEX ON ${t.entries} (args_hmac) WHERE args_hmac IS NOT NULL;
      CREATE INDEX ON ${t.entries} (result_hmac) WHERE result_hmac IS NOT NULL;
      CREATE TABLE ${t.checkpoints} (
        id bigserial PRIMARY KEY,
        size bigint NOT NULL,
        note text NOT NULL
      );
      CREATE TABLE ${t.head} (
        id int PRIMARY KEY CHECK (id = 1),
        size bigint NOT NULL,
        edge text[] NOT NULL,
        checkpointed bigint NOT NULL
      );
      INSERT INTO ${t.head} VALUES (1, 0, '{}', 0);`,
  },
];

/** Any key both replicas compute from the schema name: migrations of one schema run one at a time. */
const lockKey = (schema: string): number => {
  let h = 0x746f6f6c; // "tool"
  for (const c of schema) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0;
  return h;
};

/**
 * Creates the schema and applies the migrations it lacks, in one transaction under an advisory lock,
 * so replicas starting together neither race nor apply a version twice. Throws if the schema is newer
 * than this release knows (a downgrade would write rows the newer readers do not expect).
 */
export const migrate = async (client: pg.ClientBase, schema: string): Promise<void> => {
  const t = tablesOf(schema);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [lockKey(schema)]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${t.schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${t.migrations} (version int PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())`,
    );
    const done = await client.query<{ v: number | null }>(
      `SELECT max(version) AS v FROM ${t.migrations}`,
    );
    const at = done.rows[0]?.v ?? 0;
    const latest = MIGRATIONS.at(-1)?.version ?? 0;
    if (at > latest)
      throw new Error(
        `schema ${schema} is at version ${at}, newer than this release knows (${latest}): upgrade toolgate`,
      );
    for (const m of MIGRATIONS.filter((m) => m.version > at)) {
      await client.query(m.sql(t));
      await client.query(`INSERT INTO ${t.migrations} (version) VALUES ($1)`, [m.version]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
};

/** A pool for one log: bounded waits, so a Postgres that hangs fails calls instead of holding them forever. */
/** pg, loaded only when a Postgres store is used: it costs every gateway process CPU at start. */
export const loadPg = (): typeof pg => createRequire(import.meta.url)('pg') as typeof pg;

export const createPool = (url: string, max: number): pg.Pool => {
  const pool = new (loadPg().Pool)({
    connectionString: url,
    max,
    connectionTimeoutMillis: 5_000,
    query_timeout: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: 'toolgate',
  });
  // A connection that breaks while checked out also emits 'error' on its client, outside any query: without
  // a listener that would end the process. The query in flight fails on its own, and the pool drops the client.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
};

/**
 * Connects to the shared log and migrates its schema, or throws AUDIT_STORE_UNAVAILABLE: what
 * `toolgate serve` awaits before it listens, so a replica never joins a load balancer without its log.
 */
export const requirePostgresStore = async (url: string, schema: string): Promise<void> => {
  const pool = createPool(url, 1);
  try {
    const client = await pool.connect();
    try {
      await migrate(client, schema);
    } finally {
      client.release();
    }
  } catch (cause) {
    if (cause instanceof AuditError) throw cause; // e.g. a schema newer than this release
    const where = new URL(url);
    where.password = '';
    throw new AuditError(
      'AUDIT_STORE_UNAVAILABLE',
      `the audit store ${where.toString()} (schema ${schema}) cannot be reached or migrated: ${(cause as Error).message}; start Postgres or fix audit.url`,
      { cause },
    );
  } finally {
    await pool.end().catch(() => undefined);
  }
};
