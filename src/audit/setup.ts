import { createHash } from 'node:crypto';
import { tellAuditEntry } from './observe.js';
import { dirname, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { AuditError } from '../errors.js';
import { toCanonicalJson } from '../core/canonical-json.js';
import { createAuditInterceptors, type AuditInterceptors } from './interceptor.js';
import { createKeys, loadKeys } from './keys.js';
import { AuditLog, type AuditLogOptions, type AuditSink } from './log.js';
import { PostgresAuditLog } from './log-postgres.js';
import { createOtelExport, type OtelExport } from './otel.js';
import { createRedactor } from './redact.js';
import type { AuditConfig } from '../config/audit-schema.js';
import { openJsonlStore } from './store-jsonl.js';
import type { AuditStore } from './store.js';

export interface AuditPaths {
  readonly store: string;
  readonly keyFile: string;
  readonly publicKeyFile: string;
  readonly witnessFile?: string;
}

/** Resolves the audit paths against the config file's directory. */
export const auditPathsOf = (audit: AuditConfig, configPath: string): AuditPaths => {
  const at = (p: string) => resolve(dirname(resolve(configPath)), p);
  return {
    store: at(audit.path ?? 'toolgate-audit.jsonl'),
    keyFile: at(audit.keyFile ?? 'toolgate-audit.key'),
    publicKeyFile: at(audit.publicKeyFile ?? 'toolgate-audit.pub'),
    ...(audit.witnessFile !== undefined && { witnessFile: at(audit.witnessFile) }),
  };
};

export const openStore = (audit: AuditConfig, path: string, readonly = false): AuditStore =>
  openJsonlStore(path, audit.sync, readonly);

/**
 * The shared log (`store: postgres`). Its schema is migrated now, in the background: a start does not
 * wait for Postgres, and until it is reachable every call is refused (AUDIT_APPEND_FAILED) and the
 * operator warned; calls pass once it is.
 */
const openSharedLog = (
  audit: AuditConfig,
  options: AuditLogOptions,
  onWarning: (message: string) => void,
): AuditSink => {
  const log = new PostgresAuditLog({ ...options, url: audit.url ?? '', schema: audit.schema });
  if (options.witnessUrl !== undefined)
    onWarning('audit.witnessUrl is not posted to with store: postgres (witnessFile is written)');
  log
    .ready()
    .catch((error: unknown) =>
      onWarning(
        `audit log ${log.location} not ready: ${(error as Error).message}; calls are refused until it is`,
      ),
    );
  return log;
};

/** The embedded log: a store that cannot be opened or read stops the start (AUD-11). */
const openEmbeddedLog = (
  audit: AuditConfig,
  path: string,
  options: AuditLogOptions,
  otel: OtelExport | undefined,
): AuditSink => {
  const store = openLogStore(audit, path);
  try {
    return new AuditLog(store, options);
  } catch (error) {
    store.close();
    void otel?.shutdown();
    throw storeUnusable(path, 'read', error);
  }
};

/** One line for the operator: which store, what failed, and what to do about it. */
const storeUnusable = (path: string, what: 'open' | 'read', cause: unknown): AuditError =>
  new AuditError(
    'AUDIT_STORE_INVALID',
    `cannot ${what} the audit log ${path} (${(cause as Error).message}); the gateway does not start without it: ${what === 'open' ? 'create its folder and make the file writable' : 'make the file readable'} by this user, or point audit.path elsewhere`,
    { cause },
  );

/** The gateway's store, opened for appending; refuses the start when it cannot be (AUD-11). */
const openLogStore = (audit: AuditConfig, path: string): AuditStore => {
  try {
    return openStore(audit, path);
  } catch (error) {
    throw storeUnusable(path, 'open', error);
  }
};

const LOCK_KINDS: Readonly<Record<string, string>> = {
  'tools/call': 'tools',
  'prompts/get': 'prompts',
  'resources/read': 'resources',
  'resources/subscribe': 'resources',
  'resources/unsubscribe': 'resources',
};

/** `targetHash` of an entry: the SHA-256 the lock pins for the named tool, prompt or resource. */
const pinnedHashes =
  (lock: unknown) =>
  (server: string, method: string, target: string): string | undefined => {
    const kind = LOCK_KINDS[method];
    const items =
      kind &&
      (
        lock as {
          servers?: Record<
            string,
            Record<string, Record<string, { sha256?: unknown }> | undefined>
          >;
        }
      ).servers?.[server]?.[kind];
    const hash = items && Object.hasOwn(items, target) ? items[target]?.sha256 : undefined;
    return typeof hash === 'string' ? hash : undefined;
  };

/** Secrets the config itself holds: server environment values, upstream and OTLP header values. */
const configuredSecrets = (config: Config): string[] => [
  ...Object.values(config.servers).flatMap((s) => [
    ...Object.values('env' in s ? s.env : {}),
    ...Object.values('headers' in s ? s.headers : {}),
  ]),
  ...Object.values((config.audit || undefined)?.otel?.headers ?? {}),
  // The values the content defenses guard (`content.secrets.env`), read at the edge as they do.
  ...(config.content?.secrets.env ?? []).flatMap((name) => process.env[name] ?? []),
];

/** The hashes every entry carries: of the config (`policy`) and of the lock, where there is one. */
const hashesOf = (config: Config, lockDocument: unknown) => ({
  policy: createHash('sha256').update(toCanonicalJson(config)).digest('hex'),
  lock:
    lockDocument === undefined
      ? undefined
      : createHash('sha256').update(toCanonicalJson(lockDocument)).digest('hex'),
});

/** Loads the signing keys of the log, creating them on first run (and saying so, with the public key). */
const loadOrCreateKeys = (
  audit: AuditConfig,
  paths: AuditPaths,
  onWarning: (message: string) => void,
) => {
  const created = createKeys(paths.keyFile, paths.publicKeyFile, audit.origin);
  if (created.created)
    onWarning(
      `audit: created signing key ${paths.keyFile}; public key ${created.vkey} (in ${paths.publicKeyFile})`,
    );
  return loadKeys(paths.keyFile);
};

export interface Audit extends AuditInterceptors {
  readonly log: AuditSink;
  /** Records a gateway lifecycle event (upstream start/crash, config load, shutdown). */
  event(event: Readonly<Record<string, unknown>>): Promise<void>;
  /**
   * The audit pair for a reloaded config and lock, on the same log, with their hashes. Nothing changes
   * until `apply()`: from then on lifecycle events carry the new hashes too.
   */
  reconfigure(
    config: Config,
    lockDocument?: unknown,
  ): { interceptors: AuditInterceptors; policy: string; lock: string | undefined; apply(): void };
  close(): Promise<void>;
}

/**
 * Opens the audit log of a config (on unless `audit: false`): keys (created on first run, 0600), store, redactor, optional
 * OpenTelemetry export. A store that cannot be opened or read stops the start (AUDIT_STORE_INVALID,
 * AUD-11): a gateway that would only deny every call is no gateway, and must not look like one.
 */
export const createAudit = (
  config: Config,
  configPath: string,
  onWarning: (message: string) => void,
  lockDocument?: unknown,
): Audit | undefined => {
  const audit = config.audit;
  if (audit === false) return undefined;
  const paths = auditPathsOf(audit, configPath);
  const keys = loadOrCreateKeys(audit, paths, onWarning);
  const otel: OtelExport | undefined = audit.otel && createOtelExport(audit.otel);
  const logOptions: AuditLogOptions = {
    signer: keys.signer,
    origin: audit.origin,
    everyEntries: audit.checkpoint.everyEntries,
    everySeconds: audit.checkpoint.everySeconds,
    ...(paths.witnessFile !== undefined && { witnessFile: paths.witnessFile }),
    ...(audit.witnessUrl !== undefined && { witnessUrl: audit.witnessUrl }),
    onEntry: otel
      ? (entry) => {
          otel.entry(entry);
          tellAuditEntry(entry);
        }
      : tellAuditEntry,
    onWarning,
  };
  const log =
    audit.store === 'postgres'
      ? openSharedLog(audit, logOptions, onWarning)
      : openEmbeddedLog(audit, paths.store, logOptions, otel);
  const interceptorsOf = (
    config: Config,
    lockDocument: unknown,
    { policy, lock }: ReturnType<typeof hashesOf>,
  ) =>
    createAuditInterceptors({
      log,
      ...(lockDocument !== undefined && { targetHash: pinnedHashes(lockDocument) }),
      redactor: createRedactor(keys.hmacKey, configuredSecrets(config)),
      policy,
      ...(lock !== undefined && { lock }),
      clear: audit.clear,
      ...(otel && { observer: otel.observer }),
    });
  let { policy, lock } = hashesOf(config, lockDocument);
  const interceptors = interceptorsOf(config, lockDocument, { policy, lock });
  return {
    log,
    ...interceptors,
    event: async (event) =>
      void (await log.append({
        decision: 'event',
        policy,
        ...(lock !== undefined && { lock }),
        event,
      })),
    reconfigure: (next, nextLock) => {
      const hashes = hashesOf(next, nextLock);
      return {
        interceptors: interceptorsOf(next, nextLock, hashes),
        ...hashes,
        apply: () => void ({ policy, lock } = hashes),
      };
    },
    close: async () => {
      log.close();
      await log.flush();
      await otel?.shutdown();
    },
  };
};
