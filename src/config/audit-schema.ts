import { z } from 'zod';

const Checkpoint = z
  .strictObject({
    everyEntries: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(1000)
      .describe('Sign a checkpoint after this many new entries.'),
    everySeconds: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .default(60)
      .describe('Sign a checkpoint this often while there are new entries.'),
  })
  .describe(
    'When signed checkpoints (tree size + root hash) are written; one is always written at shutdown.',
  );

const Otel = z
  .strictObject({
    endpoint: z
      .url({ protocol: /^https?$/ })
      .describe(
        'OTLP/HTTP base URL, e.g. http://127.0.0.1:4318 (traces and logs go to /v1/traces and /v1/logs).',
      ),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string())
      .default({})
      .describe('Headers sent with every OTLP request (collector credentials).'),
    serviceName: z
      .string()
      .min(1)
      .max(128)
      .default('toolgate')
      .describe('service.name of the exported resource.'),
  })
  .describe(
    'OpenTelemetry export: one span per call with the decision chain as events, and one log record per entry.',
  );

/**
 * The `audit:` section. Paths are relative to the config file. Absent section: every default (the
 * log is on); `audit: false` (in the config schema) turns it off.
 * @example
 * audit: { sync: full, checkpoint: { everyEntries: 500 } }
 */
export const AuditSchema = z
  .strictObject({
    store: z
      .enum(['jsonl', 'postgres'], {
        error: (issue) =>
          issue.input === 'sqlite'
            ? 'the SQLite audit store was removed: use store: jsonl (an append-only JSONL file; carry an existing SQLite log over with `toolgate audit export --format jsonl` of the release before this one)'
            : 'the audit store must be jsonl or postgres',
      })
      .default('jsonl')
      .describe(
        'Where entries are kept: jsonl, an append-only JSONL file (the embedded default); postgres, one log shared by every replica (audit.url).',
      ),
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'a postgres:// or postgresql:// URL')
      .optional()
      .describe(
        'With store: postgres, the connection URL (postgres://user@host:5432/db); keep a password out of the file with a ~/.pgpass or PGPASSWORD.',
      ),
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier')
      .default('toolgate')
      .describe(
        'With store: postgres, the SQL schema that holds the log (created, and migrated, at start).',
      ),
    path: z
      .string()
      .min(1)
      .optional()
      .describe('Store location; default toolgate-audit.jsonl beside the config.'),
    sync: z
      .enum(['normal', 'full'])
      .default('normal')
      .describe(
        'normal: each group of entries is written to the OS before the messages they record leave (durable against a killed process); full: fdatasync each group too (durable against power loss).',
      ),
    keyFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Private signing and HMAC key file (0600); default toolgate-audit.key beside the config, created on first run.',
      ),
    publicKeyFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Verifier keys (one per line, every key ever used); default toolgate-audit.pub beside the config.',
      ),
    origin: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/,
        'an origin is a host-like name without spaces or "+"',
      )
      .default('toolgate.local/audit')
      .describe('Log identity: the first line of every checkpoint and the signing key name.'),
    checkpoint: Checkpoint.default({ everyEntries: 1000, everySeconds: 60 }),
    witnessFile: z
      .string()
      .min(1)
      .optional()
      .describe('A second location that receives a copy of every checkpoint (append-only text).'),
    witnessUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        'An http(s) URL that receives every signed checkpoint as a POST (text/plain signed note); failures are logged as warnings.',
      ),
    clear: z
      .record(z.string(), z.array(z.string().min(1)))
      .default({})
      .describe(
        'Per server, tools whose arguments and results are recorded in clear instead of as HMAC digests. Configured secrets are still redacted.',
      ),
    otel: Otel.optional(),
  })
  .refine((audit) => audit.store !== 'postgres' || audit.url !== undefined, {
    message: 'store: postgres needs audit.url (postgres://user@host:5432/db)',
    path: ['url'],
  })
  .describe('Tamper-evident audit log (RFC 6962 Merkle tree, signed checkpoints).');

export type AuditConfig = z.infer<typeof AuditSchema>;
