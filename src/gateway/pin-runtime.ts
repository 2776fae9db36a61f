import { dirname, resolve } from 'node:path';
import { isStdioServer, type Config, type ServerConfig } from '../config/schema.js';
import { AdvisoryError, LockError, PackageError, SandboxError } from '../errors.js';
import type { EventSinks } from './events.js';
import type { ReloadOptions } from './options.js';
import type { AdvisoryDecision } from '../packages/advisory-policy.js';
import { loadAdvisoryGate, staleSources } from '../packages/advisory-gate.js';
import { assertInstalledMatchesLock } from '../packages/check-installed.js';
import { spawnedAs } from '../packages/managed.js';
import { storeRootOf } from '../packages/places.js';
import { toInitializeRecord, type Lock } from '../pins/lock.js';
import { lockPathOf, readLock } from '../pins/store.js';
import { assertArgumentsPinned, pinArguments } from '../sandbox/arguments.js';
import { logLine } from '../log.js';

/** A config as the lock lets it run, with the lock and its hooks (none when pins are off). */
export interface Pinned {
  readonly config: Config;
  readonly options: Omit<ReloadOptions, 'audit'>;
}

/**
 * The lock side of the gateway: reads toolgate.lock (required by default), refuses a lock that
 * misses a configured server, pins npx specs the lock resolved, and makes the before-spawn package
 * check and the initialize comparison, which report what they find to `events`.
 */
export const loadPins = async (
  configPath: string,
  config: Config,
  noLock: boolean,
  events: EventSinks,
): Promise<Pinned> => {
  if (noLock) {
    logLine(
      'warn',
      `pins off: --no-lock (definitions and packages are not checked against a lock${config.advisories ? ', nor against advisories' : ''})`,
    );
    return { config, options: {} };
  }
  const path = lockPathOf(configPath, config);
  const lock = await readLock(path);
  if (!lock) {
    if (config.lock.required)
      throw new LockError(
        'LOCK_MISSING',
        `no lock at ${path}: run "toolgate lock --config ${configPath}" and review it, or pass --no-lock`,
      );
    logLine(
      'warn',
      `pins off: no lock and lock.required is false${config.advisories ? ' (advisories not checked: no locked tree)' : ''}`,
      { path },
    );
    return { config, options: {} };
  }
  const servers = { ...config.servers };
  const store = storeRootOf(config.lock.store, dirname(resolve(configPath)));
  for (const [id, server] of Object.entries(config.servers)) {
    const locked = lock.servers[id];
    if (!locked) {
      // Deny by default: a server the lock does not know (its lock failed, or it is new) is not started
      // at all, so none of its tools, prompts or resources is listed or callable; the others run.
      logLine(
        'warn',
        `server "${id}" is not in the lock: not started; run "toolgate lock --config ${configPath} ${id}"`,
        { code: 'LOCK_SERVER_MISSING', server: id },
      );
      delete servers[id];
      continue;
    }
    // An npx server runs the locked version from the package store (no npx, no network); a
    // container image runs by the locked digest, never by its tag.
    servers[id] = spawnedAs(id, server, locked.package, store);
  }
  const pinned: Config = { ...config, servers };
  logLine('info', 'pins on', { lock: path, servers: Object.keys(lock.servers).length });
  const configDir = dirname(resolve(configPath));
  const advised = await checkAdvisories(pinned, configDir, lock, store);
  return { config: pinned, options: pinHooks(pinned, lock, events, configDir, advised) };
};

/**
 * The start policy on advisories (`advisories:`), decided once per start or reload from the locked
 * trees; the refusals take effect in beforeConnect, so a refused server fails like a tampered one.
 */
const checkAdvisories = async (
  config: Config,
  configDir: string,
  lock: Lock,
  store: string,
): Promise<ReadonlyMap<string, AdvisoryDecision>> => {
  const { advisories } = config;
  if (advisories === undefined) return new Map();
  const now = new Date();
  const gate = await loadAdvisoryGate({
    ...{ advisories, configDir, lock, store, now },
    servers: Object.keys(config.servers),
  });
  for (const source of staleSources(gate, advisories.maxAgeDays, now))
    logLine('warn', `advisory data older than ${advisories.maxAgeDays} days: refresh it`, {
      source: source.path,
      at: source.at.toISOString(),
    });
  for (const [server, decision] of gate.decisions)
    for (const c of decision.classified)
      if (c.status === 'waived')
        logLine('warn', 'advisory waived', {
          ...{ server, advisory: c.finding.id, severity: c.finding.severity },
          ...{ package: `${c.finding.package}@${c.finding.version}` },
          ...{ reason: c.waiver?.reason, expires: c.waiver?.expires },
        });
  return gate.decisions;
};

const pinHooks = (
  config: Config,
  lock: Lock,
  events: EventSinks,
  configDir: string,
  advised: ReadonlyMap<string, AdvisoryDecision>,
): Pinned['options'] => ({
  lock,
  beforeConnect: async (id) => {
    const server = config.servers[id];
    const locked = lock.servers[id];
    if (!server || !locked)
      throw new LockError('LOCK_SERVER_MISSING', `server "${id}" is not in the lock`);
    const decision = advised.get(id);
    if (decision?.ok === false) {
      const { code, message } = decision;
      events.note({ kind: 'pin', server: id, item: 'advisories', code, message });
      throw new AdvisoryError(code, message);
    }
    try {
      const { python } = config.lock;
      await assertInstalledMatchesLock(
        id,
        server,
        locked.package,
        process.cwd(),
        configDir,
        python,
      );
    } catch (error) {
      const code = error instanceof PackageError ? error.code : 'PACKAGE_TAMPERED';
      events.note({
        kind: 'pin',
        server: id,
        item: 'package',
        code,
        message: (error as Error).message,
      });
      throw error;
    }
    // What a sandbox binds follows the arguments; an unsandboxed server reaches the host anyway.
    if (isStdioServer(server) && server.sandbox !== false && locked.arguments !== undefined)
      try {
        assertArgumentsPinned(
          id,
          server.args,
          resolve(server.cwd ?? process.cwd()),
          locked.arguments,
        );
      } catch (error) {
        if (error instanceof SandboxError && error.code === 'SANDBOX_ARGUMENT_CHANGED')
          events.note({
            kind: 'pin',
            server: id,
            item: 'arguments',
            code: error.code,
            message: error.message,
          });
        throw error;
      }
  },
  initialized: (id, init) => {
    const locked = lock.servers[id]?.initialize;
    if (locked && toInitializeRecord(init).sha256 !== locked.sha256)
      events.note({
        kind: 'pin',
        server: id,
        item: 'initialize',
        code: 'PIN_HASH_MISMATCH',
        message:
          'serverInfo, instructions or capabilities changed since the lock (toolgate diff shows what)',
      });
  },
});

/** The lock's pins of a stdio server's path arguments (`arguments`), resolved as the gateway resolves them. */
export const lockedArguments = (server: ServerConfig): { arguments?: Record<string, string> } =>
  isStdioServer(server)
    ? { arguments: pinArguments(server.args, resolve(server.cwd ?? process.cwd())) }
    : {};
