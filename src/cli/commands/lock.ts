import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { isStdioServer, type Config } from '../../config/schema.js';
import { isGatewayError, LockError, PackageError } from '../../errors.js';
import { assertInstalledMatchesLock } from '../../packages/check-installed.js';
import { lockPackage, recordNpxInstall, spawnedAs } from '../../packages/lock-package.js';
import { DEFAULT_REGISTRY } from '../../packages/registry.js';
import { lockedArguments } from '../../gateway/pin-runtime.js';
import { createEngine } from '../../detect/engine.js';
import { CONTENT_DEFAULTS } from '../../config/content-schema.js';
import { captureServer, toLockServer } from '../../gateway/capture.js';
import type { Captured } from '../../pins/diff.js';
import { diffServer, formatChanges } from '../../pins/diff.js';
import { ITEM_KIND_NAMES, type ItemKind } from '../../pins/hash.js';
import { toLockHints } from '../../pins/lock-hints.js';
import {
  toLockItem,
  toInitializeRecord,
  type Lock,
  type LockPackage,
  type LockServer,
} from '../../pins/lock.js';
import { screenCaptured, type Flagged, type ScreenInput } from '../../pins/screen.js';
import { lockPathOf, readLock, writeLock } from '../../pins/store.js';
import {
  formatFailure,
  formatLockReport,
  type LockFailure,
  type ServerOutcome,
} from './lock-report.js';

export interface LockFlags {
  /** Resolve unpinned npm specs to one exact version (`--allow-unpinned`). */
  readonly allowUnpinned: boolean;
  /** Write the lock even when the content detector blocks a definition (`--allow-blocked`, after review). */
  readonly allowBlocked: boolean;
}

const progress = (line: string) => process.stderr.write(`toolgate: ${line}\n`);

const packageOptions = async (configPath: string, config: Config, allowUnpinned: boolean) => {
  const configDir = dirname(resolve(configPath));
  const rootPath = config.lock.trustedRoot;
  return {
    configDir,
    cwd: process.cwd(),
    registry: config.lock.registry ?? DEFAULT_REGISTRY,
    trustedRoot:
      rootPath === undefined
        ? undefined
        : (JSON.parse(await readFile(resolve(configDir, rootPath), 'utf8')) as unknown),
    allowUnpinned,
  };
};

/** Pins one server: its package first (verified before anything is spawned), then its definitions. */
const lockOne = async (
  configPath: string,
  config: Config,
  id: string,
  allowUnpinned: boolean,
  onStderr?: (line: string) => void,
): Promise<{ entry: Lock['servers'][string]; captured: Captured }> => {
  const server = config.servers[id];
  if (!server) throw new LockError('LOCK_SERVER_MISSING', `no server "${id}" in ${configPath}`);
  progress(`${id}: verifying package…`);
  const pkg = await lockPackage(
    id,
    server,
    await packageOptions(configPath, config, allowUnpinned),
  );
  progress(`${id}: ${describePackage(pkg)}; starting…`);
  // Started as the gateway will start it: an unpinned npx spec as the exact version just resolved, an image by its digest.
  const spawned = spawnedAs(server, pkg, process.cwd());
  const args = lockedArguments(spawned); // before the server runs: nothing it writes is pinned
  const captured = await captureServer(
    { ...config, servers: { ...config.servers, [id]: spawned } },
    id,
    onStderr,
  );
  const installed = await recordNpxInstall(
    spawned,
    pkg,
    process.cwd(),
    config.lock.registry ?? DEFAULT_REGISTRY,
  );
  if (installed !== pkg)
    progress(
      `${id}: pinned the copy npx runs, ${installed.kind === 'npm' ? installed.installPath : ''}`,
    );
  else if (pkg.kind === 'npm' && pkg.launcher === 'npx')
    progress(
      `${id}: npx installs it afresh at each start (no host copy to pin): the exact version is enforced`,
    );
  const entry = { ...toLockServer(installed, captured), ...args };
  progress(`${id}: captured ${countsOf(entry)}`);
  return { entry, captured };
};

const countsOf = (entry: LockServer): string =>
  ITEM_KIND_NAMES.map((k) => `${Object.keys(entry[k]).length} ${k}`).join(', ');

/**
 * Scores what is about to be locked with the content detector (the same engine and thresholds as at
 * runtime), prints every warn and block, and refuses a block unless `--allow-blocked`: a lock is a
 * reviewed allowlist, and a poisoned definition must not become "the pinned truth" unnoticed.
 * `others` gives the tool names of the servers not captured now, for the shadowing rule.
 */
const screen = (
  config: Config,
  captured: ReadonlyMap<string, ScreenInput>,
  others: ReadonlyMap<string, readonly string[]>,
  allowBlocked: boolean,
): void => {
  const detect = (config.content ?? CONTENT_DEFAULTS).detect;
  const engine = createEngine({ warnAt: detect.warnAt, blockAt: detect.blockAt });
  const toolsOf = new Map<string, readonly string[]>([
    ...others,
    ...[...captured].map(([id, c]) => [id, Object.keys(c.items.tools)] as const),
  ]);
  const flagged: Flagged[] = [];
  for (const [id, c] of captured) {
    const foreign = new Set(
      [...toolsOf].filter(([other]) => other !== id).flatMap(([, names]) => [...names]),
    );
    flagged.push(...screenCaptured(engine, id, c, foreign, detect.definitions));
  }
  for (const f of flagged)
    progress(
      `${f.action}: ${f.server} ${f.item} scored ${f.score} by the content detector (${f.reasons.map((r) => `${r.rule}: "${r.span}"`).join('; ')})`,
    );
  const blocked = flagged.filter((f) => f.action === 'block');
  if (blocked.length === 0) return;
  const list = blocked.map((f) => `${f.server} ${f.item}`).join(', ');
  if (!allowBlocked)
    throw new LockError(
      'LOCK_POISONED',
      `the content detector blocks ${list}: nothing written. Review the definitions; if they are truly benign, pass --allow-blocked`,
    );
  progress(
    `--allow-blocked: locking ${list} although the detector blocks it (the gateway still hides it at runtime while content.detect is on)`,
  );
};

const describePackage = (pkg: LockPackage): string => {
  switch (pkg.kind) {
    case 'npm':
      return `${pkg.name}@${pkg.version}${pkg.provenance === 'absent' ? ' (no provenance on the registry)' : ` (provenance verified: ${pkg.provenance.subjectAlternativeName})`}`;
    case 'file':
      return `${pkg.role} ${pkg.path} sha256:${pkg.sha256.slice(0, 12)}…`;
    case 'image':
      return `image ${pkg.ref} (${pkg.publicKeySha256 === undefined ? 'UNSIGNED: --allow-unpinned' : 'signature verified'})`;
    case 'remote':
      return `remote ${pkg.url} (no package identity)`;
  }
};

/**
 * `toolgate lock --config FILE [SERVER...]`: locks every server (or only the named ones), each on its
 * own. A server that fails keeps its previous pins, or stays out of the lock (run/serve then do not
 * start it); the others are written all the same, and the exit code is 1. Unnamed servers keep their
 * entries untouched; a full lock drops servers no longer in the config. Unknown names: exit 2.
 */
export const lock = async (
  configPath: string,
  names: readonly string[],
  flags: LockFlags,
): Promise<number> => {
  const config = await loadConfig(configPath);
  const known = Object.keys(config.servers);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    process.stderr.write(
      `toolgate: LOCK_SERVER_MISSING: no server ${unknown.map((n) => `"${n}"`).join(', ')} in ${configPath}; its servers: ${known.join(', ') || '(none)'}\n`,
    );
    return 2;
  }
  const partial = names.length > 0;
  const path = lockPathOf(configPath, config);
  const previous = await previousLock(path, partial);
  const targets = partial ? [...new Set(names)] : known;

  const captured = new Map<string, { entry: LockServer; captured: Captured }>();
  const failed = new Map<string, LockFailure>();
  for (const id of targets) {
    const stderr = stderrTail();
    try {
      captured.set(id, await lockOne(configPath, config, id, flags.allowUnpinned, stderr.push));
    } catch (error) {
      failed.set(id, toFailure(config, id, error, stderr.lines));
    }
  }
  // Each server is screened alone, against the tool names of every other server in the new lock (shadowing).
  const toolsOf = new Map<string, readonly string[]>([
    ...Object.entries(previous?.servers ?? {})
      .filter(([id]) => known.includes(id))
      .map(([id, s]) => [id, Object.keys(s.tools)] as const),
    ...[...captured].map(([id, c]) => [id, Object.keys(c.captured.items.tools)] as const),
  ]);
  for (const [id, one] of captured) {
    try {
      screen(
        config,
        new Map([[id, one.captured]]),
        new Map([...toolsOf].filter(([other]) => other !== id)),
        flags.allowBlocked,
      );
    } catch (error) {
      if (!(error instanceof LockError)) throw error;
      captured.delete(id);
      failed.set(id, toFailure(config, id, error, []));
    }
  }

  const servers: Lock['servers'] = partial ? { ...previous?.servers } : {};
  for (const id of targets) {
    const entry = captured.get(id)?.entry ?? previous?.servers[id];
    if (entry) servers[id] = entry;
  }
  // Nothing new to write when every server failed: the lock on disk (if any) stays as it was.
  const written = captured.size > 0;
  if (written) await writeLock(path, { lockfileVersion: 1, servers });
  const outcomes: ServerOutcome[] = [];
  for (const id of targets) {
    const one = captured.get(id);
    const failure = failed.get(id);
    if (one) outcomes.push({ kind: 'locked', id, counts: countsOf(one.entry) });
    else if (failure)
      outcomes.push({ kind: 'failed', id, failure, kept: previous?.servers[id] !== undefined });
  }
  const report = formatLockReport({
    outcomes,
    dropped:
      partial || !written
        ? []
        : Object.keys(previous?.servers ?? {}).filter((id) => !known.includes(id)),
    stale: partial ? Object.keys(servers).filter((id) => !known.includes(id)) : [],
    ...(written && { written: { path, servers: Object.keys(servers).length } }),
  });
  for (const line of report) progress(line);
  return failed.size === 0 ? 0 : 1;
};

/** The last 20 lines of a server's stderr, for its failure report. */
const stderrTail = () => {
  const lines: string[] = [];
  const push = (line: string) => {
    lines.push(line);
    if (lines.length > 20) lines.shift();
  };
  return { lines, push };
};

/**
 * The lock before this run. A partial lock keeps the others' entries, so it needs a valid one (a bad
 * lock is an error); a full lock replaces everything, so a bad one is only ignored (and said so).
 */
const previousLock = async (path: string, partial: boolean): Promise<Lock | undefined> => {
  try {
    return await readLock(path);
  } catch (error) {
    if (partial || !(error instanceof LockError)) throw error;
    progress(
      `${error.code}: ${error.message}; the existing lock is ignored: no previous pins are kept`,
    );
    return undefined;
  }
};

const toFailure = (
  config: Config,
  id: string,
  error: unknown,
  stderr: readonly string[],
): LockFailure => {
  const server = config.servers[id];
  const code = isGatewayError(error) ? error.code : 'INTERNAL';
  const message = (error as Error).message;
  const sandbox = server !== undefined && isStdioServer(server) ? server.sandbox : false;
  const writable = sandbox === false ? [] : sandbox.writable.map((p) => resolve(p));
  const startTimeoutMs = server?.restart.startTimeoutMs ?? 0;
  return {
    code,
    message,
    stderr,
    hints: toLockHints({
      code,
      message,
      stderr,
      sandboxed: sandbox !== false,
      writable,
      startTimeoutMs,
    }),
  };
};

/** Starts a locked server after checking its package against the lock, and captures it (also `toolgate tools --live`). */
export const captureLocked = async (
  configPath: string,
  config: Config,
  lockFile: Lock,
  id: string,
) => {
  const configured = config.servers[id];
  const locked = lockFile.servers[id];
  if (!configured || !locked)
    throw new LockError(
      'LOCK_SERVER_MISSING',
      `server "${id}" is in the config and the lock? it is not`,
    );
  const server = spawnedAs(configured, locked.package, process.cwd());
  await assertInstalledMatchesLock(
    id,
    server,
    locked.package,
    process.cwd(),
    dirname(resolve(configPath)),
  );
  return captureServer({ ...config, servers: { ...config.servers, [id]: server } }, id);
};

const requireLock = async (
  configPath: string,
  config: Config,
): Promise<{ path: string; lock: Lock }> => {
  const path = lockPathOf(configPath, config);
  const found = await readLock(path);
  if (!found) throw new LockError('LOCK_MISSING', `no lock at ${path}: run toolgate lock first`);
  return { path, lock: found };
};

/** `toolgate diff --config FILE [SERVER]`: what changed live since the lock, field by field. Exit 1 on changes. */
export const diff = async (configPath: string, only: string | undefined): Promise<number> => {
  const config = await loadConfig(configPath);
  const { lock: lockFile } = await requireLock(configPath, config);
  let changed = 0;
  for (const id of Object.keys(config.servers)) {
    if (only !== undefined && id !== only) continue;
    const locked = lockFile.servers[id];
    if (!locked) {
      process.stdout.write(`${id} NOT LOCKED\n`);
      changed++;
      continue;
    }
    let live;
    try {
      live = await captureLocked(configPath, config, lockFile, id);
    } catch (error) {
      if (!(error instanceof PackageError)) throw error;
      // A changed package is itself the difference to review (approve SERVER re-locks it); nothing is started.
      process.stdout.write(`${id} PACKAGE CHANGED\n    ${error.message}\n`);
      changed++;
      continue;
    }
    const changes = diffServer(locked, live);
    changed += changes.length;
    process.stdout.write(formatChanges(id, changes));
  }
  return changed === 0 ? 0 : 1;
};

/**
 * `toolgate approve SERVER[/KIND/ITEM]`: after review, takes the live state into the lock. A whole
 * server is re-locked (package re-verified too); a single item (`tools/echo`, or just `echo`) is
 * updated, added or removed alone, leaving every other pin as it was.
 */
export const approve = async (
  configPath: string,
  target: string | undefined,
  flags: LockFlags,
): Promise<number> => {
  if (!target) throw new LockError('LOCK_SERVER_MISSING', 'usage: toolgate approve SERVER[/ITEM]');
  const config = await loadConfig(configPath);
  const { path, lock: lockFile } = await requireLock(configPath, config);
  const slash = target.indexOf('/');
  const id = slash < 0 ? target : target.slice(0, slash);
  const othersOf = () =>
    new Map(
      Object.entries(lockFile.servers)
        .filter(([other]) => other !== id)
        .map(([other, s]) => [other, Object.keys(s.tools)] as const),
    );
  if (slash < 0 || !lockFile.servers[id]) {
    if (!config.servers[id])
      throw new LockError('LOCK_SERVER_MISSING', `no server "${id}" in ${configPath}`);
    const stderr = stderrTail();
    let one;
    try {
      one = await lockOne(configPath, config, id, flags.allowUnpinned, stderr.push);
      screen(config, new Map([[id, one.captured]]), othersOf(), flags.allowBlocked);
    } catch (error) {
      // Reported as `lock` reports it (code, stderr tail, hints); the lock is left as it was.
      for (const line of formatFailure(id, toFailure(config, id, error, stderr.lines)))
        progress(line);
      return 1;
    }
    lockFile.servers[id] = one.entry;
    await writeLock(path, lockFile);
    progress(`approved server ${id} as it is now`);
    return 0;
  }
  const rest = target.slice(slash + 1);
  const kindSlash = rest.indexOf('/');
  const named = ITEM_KIND_NAMES.find((k) => kindSlash > 0 && rest.slice(0, kindSlash) === k);
  const key = named ? rest.slice(kindSlash + 1) : rest;
  const live = await captureLocked(configPath, config, lockFile, id);
  const entry = lockFile.servers[id];
  const kinds: ItemKind[] = named
    ? [named]
    : ITEM_KIND_NAMES.filter((k) => key in live.items[k] || key in entry[k]);
  if (key === 'initialize' && !named) {
    screen(
      config,
      new Map([
        [
          id,
          {
            initialize: live.initialize,
            items: { tools: {}, prompts: {}, resources: {}, resourceTemplates: {} },
          },
        ],
      ]),
      othersOf(),
      flags.allowBlocked,
    );
    entry.initialize = toInitializeRecord(live.initialize);
  } else {
    if (kinds.length === 0)
      throw new LockError(
        'LOCK_SERVER_MISSING',
        `server "${id}" has no item "${key}", live or locked`,
      );
    const only = { tools: {}, prompts: {}, resources: {}, resourceTemplates: {} } as Record<
      ItemKind,
      Record<string, Record<string, unknown>>
    >;
    for (const kind of kinds) if (live.items[kind][key]) only[kind][key] = live.items[kind][key];
    screen(
      config,
      new Map([[id, { initialize: {}, items: only }]]),
      othersOf(),
      flags.allowBlocked,
    );
    for (const kind of kinds) {
      const definition = live.items[kind][key];
      if (definition) entry[kind][key] = toLockItem(definition);
      else delete entry[kind][key];
    }
  }
  await writeLock(path, lockFile);
  progress(`approved ${id}/${key}`);
  return 0;
};
