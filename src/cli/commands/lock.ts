import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { LockError, PackageError } from '../../errors.js';
import { assertInstalledMatchesLock } from '../../packages/check-installed.js';
import { lockPackage, recordNpxInstall, spawnedAs } from '../../packages/lock-package.js';
import { DEFAULT_REGISTRY } from '../../packages/registry.js';
import { lockedArguments } from './pin-runtime.js';
import { createEngine } from '../../detect/engine.js';
import { CONTENT_DEFAULTS } from '../../detect/schema.js';
import { captureServer, toLockServer, type Captured } from '../../pins/capture.js';
import { diffServer, formatChanges } from '../../pins/diff.js';
import { ITEM_KIND_NAMES, type ItemKind } from '../../pins/hash.js';
import { toLockItem, toInitializeRecord, type Lock, type LockPackage } from '../../pins/lock.js';
import { screenCaptured, type Flagged, type ScreenInput } from '../../pins/screen.js';
import { lockPathOf, readLock, writeLock } from '../../pins/store.js';

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
    trustedRoot: rootPath === undefined ? undefined : (JSON.parse(await readFile(resolve(configDir, rootPath), 'utf8')) as unknown),
    allowUnpinned,
  };
};

/** Pins one server: its package first (verified before anything is spawned), then its definitions. */
const lockOne = async (configPath: string, config: Config, id: string, allowUnpinned: boolean): Promise<{ entry: Lock['servers'][string]; captured: Captured }> => {
  const server = config.servers[id];
  if (!server) throw new LockError('LOCK_SERVER_MISSING', `no server "${id}" in ${configPath}`);
  progress(`${id}: verifying package…`);
  const pkg = await lockPackage(id, server, await packageOptions(configPath, config, allowUnpinned));
  progress(`${id}: ${describePackage(pkg)}; starting…`);
  // Started as the gateway will start it: an unpinned npx spec as the exact version just resolved, an image by its digest.
  const spawned = spawnedAs(server, pkg, process.cwd());
  const args = lockedArguments(spawned); // before the server runs: nothing it writes is pinned
  const captured = await captureServer({ ...config, servers: { ...config.servers, [id]: spawned } }, id);
  const installed = await recordNpxInstall(spawned, pkg, process.cwd(), config.lock.registry ?? DEFAULT_REGISTRY);
  if (installed !== pkg) progress(`${id}: pinned the copy npx runs, ${installed.kind === 'npm' ? installed.installPath : ''}`);
  else if (pkg.kind === 'npm' && pkg.launcher === 'npx') progress(`${id}: npx installs it afresh at each start (no host copy to pin): the exact version is enforced`);
  const entry = { ...toLockServer(installed, captured), ...args };
  const counts = ITEM_KIND_NAMES.map((k) => `${Object.keys(entry[k]).length} ${k}`).join(', ');
  progress(`${id}: captured ${counts}`);
  return { entry, captured };
};

/**
 * Scores what is about to be locked with the content detector (the same engine and thresholds as at
 * runtime), prints every warn and block, and refuses a block unless `--allow-blocked`: a lock is a
 * reviewed allowlist, and a poisoned definition must not become "the pinned truth" unnoticed.
 * `others` gives the tool names of the servers not captured now, for the shadowing rule.
 */
const screen = (config: Config, captured: ReadonlyMap<string, ScreenInput>, others: ReadonlyMap<string, readonly string[]>, allowBlocked: boolean): void => {
  const detect = (config.content ?? CONTENT_DEFAULTS).detect;
  const engine = createEngine({ warnAt: detect.warnAt, blockAt: detect.blockAt });
  const toolsOf = new Map<string, readonly string[]>([...others, ...[...captured].map(([id, c]) => [id, Object.keys(c.items.tools)] as const)]);
  const flagged: Flagged[] = [];
  for (const [id, c] of captured) {
    const foreign = new Set([...toolsOf].filter(([other]) => other !== id).flatMap(([, names]) => [...names]));
    flagged.push(...screenCaptured(engine, id, c, foreign, detect.definitions));
  }
  for (const f of flagged)
    progress(`${f.action}: ${f.server} ${f.item} scored ${f.score} by the content detector (${f.reasons.map((r) => `${r.rule}: "${r.span}"`).join('; ')})`);
  const blocked = flagged.filter((f) => f.action === 'block');
  if (blocked.length === 0) return;
  const list = blocked.map((f) => `${f.server} ${f.item}`).join(', ');
  if (!allowBlocked)
    throw new LockError('LOCK_POISONED', `the content detector blocks ${list}: nothing written. Review the definitions; if they are truly benign, pass --allow-blocked`);
  progress(`--allow-blocked: locking ${list} although the detector blocks it (the gateway still hides it at runtime while content.detect is on)`);
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

/** `toolgate lock --config FILE`: starts every server and writes toolgate.lock beside the config. */
export const lock = async (configPath: string, flags: LockFlags): Promise<number> => {
  const config = await loadConfig(configPath);
  const servers: Lock['servers'] = {};
  const captured = new Map<string, Captured>();
  for (const id of Object.keys(config.servers)) {
    const one = await lockOne(configPath, config, id, flags.allowUnpinned);
    servers[id] = one.entry;
    captured.set(id, one.captured);
  }
  screen(config, captured, new Map(), flags.allowBlocked);
  const path = lockPathOf(configPath, config);
  await writeLock(path, { lockfileVersion: 1, servers });
  progress(`wrote ${path} (${Object.keys(servers).length} servers); review it, then commit it`);
  return 0;
};

/** Starts a locked server after checking its package against the lock, and captures it. */
const captureLocked = async (configPath: string, config: Config, lockFile: Lock, id: string) => {
  const configured = config.servers[id];
  const locked = lockFile.servers[id];
  if (!configured || !locked) throw new LockError('LOCK_SERVER_MISSING', `server "${id}" is in the config and the lock? it is not`);
  const server = spawnedAs(configured, locked.package, process.cwd());
  await assertInstalledMatchesLock(id, server, locked.package, process.cwd(), dirname(resolve(configPath)));
  return captureServer({ ...config, servers: { ...config.servers, [id]: server } }, id);
};

const requireLock = async (configPath: string, config: Config): Promise<{ path: string; lock: Lock }> => {
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
export const approve = async (configPath: string, target: string | undefined, flags: LockFlags): Promise<number> => {
  if (!target) throw new LockError('LOCK_SERVER_MISSING', 'usage: toolgate approve SERVER[/ITEM]');
  const config = await loadConfig(configPath);
  const { path, lock: lockFile } = await requireLock(configPath, config);
  const slash = target.indexOf('/');
  const id = slash < 0 ? target : target.slice(0, slash);
  const othersOf = () => new Map(Object.entries(lockFile.servers).filter(([other]) => other !== id).map(([other, s]) => [other, Object.keys(s.tools)] as const));
  if (slash < 0 || !lockFile.servers[id]) {
    const one = await lockOne(configPath, config, id, flags.allowUnpinned);
    screen(config, new Map([[id, one.captured]]), othersOf(), flags.allowBlocked);
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
  const kinds: ItemKind[] = named ? [named] : ITEM_KIND_NAMES.filter((k) => key in live.items[k] || key in entry[k]);
  if (key === 'initialize' && !named) {
    screen(config, new Map([[id, { initialize: live.initialize, items: { tools: {}, prompts: {}, resources: {}, resourceTemplates: {} } }]]), othersOf(), flags.allowBlocked);
    entry.initialize = toInitializeRecord(live.initialize);
  } else {
    if (kinds.length === 0) throw new LockError('LOCK_SERVER_MISSING', `server "${id}" has no item "${key}", live or locked`);
    const only = { tools: {}, prompts: {}, resources: {}, resourceTemplates: {} } as Record<ItemKind, Record<string, Record<string, unknown>>>;
    for (const kind of kinds) if (live.items[kind][key]) only[kind][key] = live.items[kind][key];
    screen(config, new Map([[id, { initialize: {}, items: only }]]), othersOf(), flags.allowBlocked);
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
