import { existsSync, readFileSync } from 'node:fs';
import { checkpointSize, verifyCheckpoint } from '../../audit/checkpoint.js';
import { toCanonicalJson } from '../../core/canonical-json.js';
import { toLeafHash } from '../../audit/event.js';
import { createKeys, loadKeys, loadVerifiers } from '../../audit/keys.js';
import { inclusionProof, verifyInclusion } from '../../audit/merkle.js';
import { digestOf } from '../../audit/redact.js';
import { auditPathsOf, openStore, type AuditPaths } from '../../audit/setup.js';
import { PgLogReader } from '../../audit/pg-read.js';
import { parseJsonl } from '../../audit/store-jsonl.js';
import type { StoredEntry } from '../../audit/store.js';
import { verifyLog } from '../../audit/verify.js';
import { loadConfig } from '../../config/load.js';
import type { AuditConfig } from '../../config/audit-schema.js';
import { AuditError } from '../../errors.js';
import { jsonlFollower } from '../../audit/jsonl-follow.js';
import { follow, matches, printer, type EntryQuery, type ViewFormat } from './audit-view.js';

const auditOf = async (configPath: string): Promise<AuditConfig> => {
  const config = await loadConfig(configPath);
  if (config.audit === false)
    throw new AuditError(
      'AUDIT_STORE_INVALID',
      `${configPath} turns the audit log off (audit: false)`,
    );
  return config.audit;
};

/** The stored log, read-only: from the configured store, or from an export file. */
const readLog = (configPath: string, audit: AuditConfig, file: string | undefined) => {
  if (file) return parseJsonl(readFileSync(file, 'utf8'));
  const path = auditPathsOf(audit, configPath).store;
  if (!existsSync(path)) throw new AuditError('AUDIT_STORE_INVALID', `no audit log at ${path}`);
  try {
    const store = openStore(audit, path, true);
    const log = { entries: store.entries(), checkpoints: store.checkpoints() };
    store.close();
    return log;
  } catch (cause) {
    throw new AuditError(
      'AUDIT_STORE_INVALID',
      `cannot read ${path}: ${(cause as Error).message}`,
      { cause },
    );
  }
};

/** The Postgres log of `store: postgres` (unless `--file` reads an export instead). */
const sharedReader = async (audit: AuditConfig): Promise<PgLogReader> => {
  try {
    return await PgLogReader.open(audit.url ?? '', audit.schema);
  } catch (cause) {
    throw new AuditError(
      'AUDIT_STORE_INVALID',
      `cannot read the audit log in Postgres (schema ${audit.schema}): ${(cause as Error).message}`,
      { cause },
    );
  }
};

const witnessOf = (file: string | undefined): string[] | undefined =>
  file === undefined || !existsSync(file)
    ? undefined
    : parseJsonl(readFileSync(file, 'utf8')).checkpoints;

/** `toolgate init`: the audit keys of a config (never overwritten; `--rotate` adds a new signing key). */
export const initKeys = async (configPath: string, rotate: boolean): Promise<number> => {
  const audit = await auditOf(configPath);
  const paths = auditPathsOf(audit, configPath);
  const { vkey, created } = createKeys(paths.keyFile, paths.publicKeyFile, audit.origin, rotate);
  console.log(
    created
      ? `created ${paths.keyFile} (0600)`
      : `${paths.keyFile} exists (use --rotate for a new signing key)`,
  );
  console.log(`public key (in ${paths.publicKeyFile}):\n${vkey}`);
  return 0;
};

/** The audit log a command reads: the configured store (Postgres or a file), or an export (`--file`). */
export interface AuditContext {
  readonly configPath: string;
  readonly cfg: AuditConfig;
  readonly paths: AuditPaths;
  readonly file: string | undefined;
  readonly shared: PgLogReader | undefined;
}

/** Runs `use` on the audit log of `configPath` (or the export `file`), then closes it. */
export const withAuditLog = async (
  configPath: string,
  file: string | undefined,
  use: (ctx: AuditContext) => Promise<number>,
): Promise<number> => {
  const cfg = await auditOf(configPath);
  const paths = auditPathsOf(cfg, configPath);
  const shared =
    cfg.store === 'postgres' && file === undefined ? await sharedReader(cfg) : undefined;
  try {
    return await use({ configPath, cfg, paths, file, shared });
  } finally {
    await shared?.close();
  }
};

const logOf = async (ctx: AuditContext) =>
  ctx.shared ? await ctx.shared.log() : readLog(ctx.configPath, ctx.cfg, ctx.file);

const valueDigest = (keyFile: string, value: string | undefined): string | undefined =>
  value === undefined
    ? undefined
    : digestOf(loadKeys(keyFile).hmacKey, toCanonicalJson(JSON.parse(value) as unknown));

export interface View {
  readonly format: ViewFormat;
  readonly follow: boolean;
}

/**
 * The entries after `seq` that pass `keep`, for `--follow`: Postgres by index, a JSONL log by reading
 * only what was appended since the last look (a long log is not re-read every half second).
 */
const newerOf = (ctx: AuditContext, keep: (e: StoredEntry) => boolean) => {
  const shared = ctx.shared;
  if (shared) return async (seq: number) => (await shared.after(seq)).filter(keep);
  const next = jsonlFollower(ctx.file ?? ctx.paths.store);
  return async (seq: number) => next(seq).filter(keep);
};

/**
 * Prints `entries`, then with `--follow` every entry after `last` (the log's newest when `entries` were
 * read) that passes `keep`, as it arrives. What is printed first is printed only once `last` is known.
 */
const show = async (
  ctx: AuditContext,
  entries: readonly StoredEntry[],
  last: number,
  view: View,
  keep: (e: StoredEntry) => boolean,
): Promise<number> => {
  const print = printer(view.format, (line) => console.log(line));
  print(entries);
  if (!view.follow) return 0;
  return follow(newerOf(ctx, keep), Math.max(last, entries.at(-1)?.seq ?? -1), print);
};

/** The newest sequence number of the log (-1 when empty). */
const newestOf = async (ctx: AuditContext): Promise<number> =>
  ctx.shared
    ? ((await ctx.shared.tail(1)).at(-1)?.seq ?? -1)
    : ((await logOf(ctx)).entries.at(-1)?.seq ?? -1);

/** `toolgate audit tail`: the last `n` entries (Postgres: read through the index, not the whole log). */
export const tail = async (ctx: AuditContext, n: number, view: View): Promise<number> => {
  const last = await newestOf(ctx);
  const all = ctx.shared ? await ctx.shared.tail(n) : (await logOf(ctx)).entries;
  const entries = n === 0 ? [] : all.slice(-n);
  return show(ctx, entries, Math.max(last, all.at(-1)?.seq ?? -1), view, () => true);
};

/** `toolgate audit query`: the entries matching every filter (Postgres: found through the indexes, each body re-checked). */
export const query = async (
  ctx: AuditContext,
  q: EntryQuery,
  value: string | undefined,
  view: View,
): Promise<number> => {
  const digest = valueDigest(ctx.paths.keyFile, value);
  const keep = (e: StoredEntry) =>
    matches(JSON.parse(e.body) as Record<string, unknown>, q, digest);
  const last = await newestOf(ctx);
  const candidates = ctx.shared
    ? await ctx.shared.query({ ...q, ...(digest !== undefined && { digest }) })
    : (await logOf(ctx)).entries;
  return show(ctx, candidates.filter(keep), last, view, keep);
};

/** `toolgate audit verify`: recomputes the tree and checks every checkpoint; exit 1 at the first divergence. */
export const verify = async (ctx: AuditContext, witness: string | undefined): Promise<number> => {
  const w = witnessOf(witness ?? ctx.paths.witnessFile);
  const report = verifyLog({
    ...(await logOf(ctx)),
    verifiers: loadVerifiers(ctx.paths.publicKeyFile),
    origin: ctx.cfg.origin,
    ...(w && { witness: w }),
  });
  if (report.ok) {
    console.log(
      `ok: ${report.size} entries, ${report.checkpoints} checkpoints, root ${report.root}` +
        (report.uncovered
          ? `; ${report.uncovered} newest entries not yet under a signed checkpoint`
          : ''),
    );
    return 0;
  }
  const { entry, checkpoint, message } = report.divergence;
  // A witness divergence is pinned to neither an entry nor a checkpoint of the log.
  const at =
    entry !== undefined
      ? ` at entry ${entry}`
      : checkpoint !== undefined
        ? ` at checkpoint ${checkpoint}`
        : '';
  console.log(`FAILED${at}: ${message}`);
  return 1;
};

/** `toolgate audit export`: entries and checkpoints in log order, verifiable with `audit verify --file`. */
export const exportLog = async (ctx: AuditContext): Promise<number> => {
  const log = await logOf(ctx);
  const sizes = log.checkpoints.map(checkpointSize);
  let k = 0;
  const flush = (upTo: number) => {
    while (k < log.checkpoints.length && (sizes[k] as number) <= upTo)
      console.log(JSON.stringify({ checkpoint: log.checkpoints[k++] }));
  };
  for (const e of log.entries) {
    flush(e.seq);
    console.log(e.body);
  }
  flush(Number.MAX_SAFE_INTEGER);
  return 0;
};

/** `toolgate audit prove ENTRY`: the inclusion proof of an entry in the latest checkpoint. */
export const prove = async (ctx: AuditContext, index: number): Promise<number> =>
  proveIn(await logOf(ctx), index, ctx.paths.publicKeyFile, ctx.cfg.origin);
const proveIn = (
  log: { entries: StoredEntry[]; checkpoints: string[] },
  index: number,
  publicKeyFile: string,
  origin: string,
): number => {
  const verifiers = loadVerifiers(publicKeyFile);
  const latest = log.checkpoints.at(-1);
  const check = latest === undefined ? undefined : verifyCheckpoint(latest, verifiers, origin);
  if (!check?.ok)
    throw new AuditError('AUDIT_STORE_INVALID', 'no valid checkpoint to prove against');
  const { size, root } = check.checkpoint;
  if (!Number.isInteger(index) || index < 0 || index >= size)
    throw new AuditError(
      'AUDIT_STORE_INVALID',
      `entry ${index} is not under the latest checkpoint (size ${size})`,
    );
  const leaves = log.entries.slice(0, size).map((e) => toLeafHash(e.body));
  const proof = inclusionProof(leaves, index, size);
  const leaf = leaves[index] as Buffer;
  console.log(
    JSON.stringify(
      {
        entry: JSON.parse((log.entries[index] as StoredEntry).body) as unknown,
        leafIndex: index,
        leafHash: leaf.toString('hex'),
        treeSize: size,
        rootHash: root.toString('hex'),
        proof: proof.map((h) => h.toString('hex')),
        verified: verifyInclusion(index, size, leaf, proof, root),
        checkpoint: latest,
      },
      null,
      2,
    ),
  );
  return 0;
};
