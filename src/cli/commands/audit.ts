import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkpointSize, verifyCheckpoint } from '../../audit/checkpoint.js';
import { toCanonicalJson, toLeafHash } from '../../audit/event.js';
import { createKeys, loadKeys, loadVerifiers } from '../../audit/keys.js';
import { inclusionProof, verifyInclusion } from '../../audit/merkle.js';
import { digestOf } from '../../audit/redact.js';
import { auditPathsOf, openStore } from '../../audit/setup.js';
import { parseJsonl } from '../../audit/store-jsonl.js';
import type { StoredEntry } from '../../audit/store.js';
import { verifyLog } from '../../audit/verify.js';
import { loadConfig } from '../../config/load.js';
import type { AuditConfig } from '../../config/audit-schema.js';
import { AuditError } from '../../errors.js';

export const AUDIT_USAGE = `  toolgate init  --config FILE [--rotate]      create the audit signing key (0600) and public key beside the config
  toolgate audit verify [--witness FILE] [--file EXPORT.jsonl]
                                               recompute the tree, check every checkpoint; exit 1 at the first divergence
  toolgate audit tail [-n N]                   the last N entries (JSON lines)
  toolgate audit query [--agent A] [--server S] [--tool T] [--decision D] [--since ISO] [--until ISO] [--value JSON]
  toolgate audit export --format jsonl         entries and checkpoints, verifiable with audit verify --file
  toolgate audit prove ENTRY                   inclusion proof of entry ENTRY in the latest checkpoint`;

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

const witnessOf = (file: string | undefined): string[] | undefined =>
  file === undefined || !existsSync(file)
    ? undefined
    : parseJsonl(readFileSync(file, 'utf8')).checkpoints;

/** `toolgate init`: the audit keys of a config (never overwritten; `--rotate` adds a new signing key). */
export const init = async (argv: readonly string[]): Promise<number> => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      config: { type: 'string', short: 'c', default: 'toolgate.yaml' },
      rotate: { type: 'boolean', default: false },
    },
  });
  const audit = await auditOf(values.config);
  const paths = auditPathsOf(audit, values.config);
  const { vkey, created } = createKeys(
    paths.keyFile,
    paths.publicKeyFile,
    audit.origin,
    values.rotate,
  );
  console.log(
    created
      ? `created ${paths.keyFile} (0600)`
      : `${paths.keyFile} exists (use --rotate for a new signing key)`,
  );
  console.log(`public key (in ${paths.publicKeyFile}):\n${vkey}`);
  return 0;
};

const matches = (
  entry: Record<string, unknown>,
  q: Record<string, string | undefined>,
  valueDigest: string | undefined,
): boolean => {
  const time = String(entry['time']);
  const digests = [entry['args'], entry['result']].map(
    (r) => (r as { hmac?: string } | undefined)?.hmac,
  );
  return (
    (q['agent'] === undefined || entry['principal'] === q['agent']) &&
    (q['server'] === undefined || entry['server'] === q['server']) &&
    (q['tool'] === undefined || entry['target'] === q['tool']) &&
    (q['decision'] === undefined || entry['decision'] === q['decision']) &&
    (q['since'] === undefined || time >= q['since']) &&
    (q['until'] === undefined || time <= q['until']) &&
    (valueDigest === undefined || digests.includes(valueDigest))
  );
};

/** `toolgate audit verify|tail|query|export|prove`. */
export const audit = async (argv: readonly string[]): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c', default: 'toolgate.yaml' },
      witness: { type: 'string' },
      file: { type: 'string' },
      n: { type: 'string', short: 'n', default: '20' },
      agent: { type: 'string' },
      server: { type: 'string' },
      tool: { type: 'string' },
      decision: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      value: { type: 'string' },
      format: { type: 'string', default: 'jsonl' },
    },
  });
  const [sub, arg] = positionals;
  const cfg = await auditOf(values.config);
  const paths = auditPathsOf(cfg, values.config);
  const log = readLog(values.config, cfg, values.file);
  switch (sub) {
    case 'verify':
      return verify(log, paths, cfg.origin, values.witness);
    case 'tail':
      for (const e of log.entries.slice(-Number(values.n))) console.log(e.body);
      return 0;
    case 'query': {
      const digest =
        values.value === undefined
          ? undefined
          : digestOf(
              loadKeys(paths.keyFile).hmacKey,
              toCanonicalJson(JSON.parse(values.value) as unknown),
            );
      for (const e of log.entries)
        if (matches(JSON.parse(e.body) as Record<string, unknown>, values, digest))
          console.log(e.body);
      return 0;
    }
    case 'export':
      return exportLog(log, values.format);
    case 'prove':
      return prove(log, Number(arg), paths.publicKeyFile, cfg.origin);
    default:
      console.log(AUDIT_USAGE);
      return 2;
  }
};

type ReadLog = { entries: StoredEntry[]; checkpoints: string[] };

/** `audit verify`: the whole log, its checkpoints and the witness copies; exit 1 at the first divergence. */
const verify = (
  log: ReadLog,
  paths: ReturnType<typeof auditPathsOf>,
  origin: string,
  witnessFile: string | undefined,
): number => {
  const witness = witnessOf(witnessFile ?? paths.witnessFile);
  const report = verifyLog({
    ...log,
    verifiers: loadVerifiers(paths.publicKeyFile),
    origin,
    ...(witness && { witness }),
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

/** `audit export`: the log as JSONL, each checkpoint after the entries it covers, as the store keeps it. */
const exportLog = (log: ReadLog, format: string | undefined): number => {
  if (format !== 'jsonl')
    throw new AuditError('AUDIT_STORE_INVALID', `unknown export format ${format} (jsonl)`);
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

const prove = (
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
