import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isStdioServer, type Config } from '../../config/schema.js';
import { CONTENT_DEFAULTS } from '../../config/content-schema.js';
import { createEngine } from '../../detect/engine.js';
import { GatewayError, LockError } from '../../errors.js';
import { captureServer, toLockServer } from '../../gateway/capture.js';
import { lockedArguments } from '../../gateway/pin-runtime.js';
import { lockPackage } from '../../packages/lock-package.js';
import { installManaged, spawnedAs } from '../../packages/managed.js';
import { readNpmSettings } from '../../packages/npmrc.js';
import { assertSameRelease } from '../../packages/same-release.js';
import { storeRootOf } from '../../packages/places.js';
import type { Captured } from '../../pins/diff.js';
import { ITEM_KIND_NAMES } from '../../pins/hash.js';
import { toLockHints } from '../../pins/lock-hints.js';
import type { Lock, LockPackage, LockServer } from '../../pins/lock.js';
import { screenCaptured, type Flagged, type ScreenInput } from '../../pins/screen.js';
import type { LockFailure } from './lock-report.js';

// What `lock` and `approve` do for one server: verify its package, capture its definitions, screen
// them with the content detector, and explain a failure.

export const progress = (line: string) => process.stderr.write(`toolgate: ${line}\n`);

const packageOptions = async (configPath: string, config: Config, allowUnpinned: boolean) => {
  const configDir = dirname(resolve(configPath));
  const rootPath = config.lock.trustedRoot;
  return {
    configDir,
    cwd: process.cwd(),
    // One reading of npm's settings: the registry that resolves and pins is the one the store installs from.
    npm: await readNpmSettings(configDir, config.lock.registry),
    trustedRoot:
      rootPath === undefined
        ? undefined
        : (JSON.parse(await readFile(resolve(configDir, rootPath), 'utf8')) as unknown),
    allowUnpinned,
    python: config.lock.python,
    pythonIndex: config.lock.pythonIndex,
  };
};

/** Pins one server: its package first (verified before anything is spawned), then its definitions. */
export const lockOne = async (
  configPath: string,
  config: Config,
  id: string,
  allowUnpinned: boolean,
  onStderr?: (line: string) => void,
  previous?: LockPackage,
): Promise<{ entry: Lock['servers'][string]; captured: Captured }> => {
  const server = config.servers[id];
  if (!server) throw new LockError('LOCK_SERVER_MISSING', `no server "${id}" in ${configPath}`);
  progress(`${id}: verifying package…`);
  const options = await packageOptions(configPath, config, allowUnpinned);
  const resolved = await lockPackage(id, server, options);
  assertSameRelease(id, previous, resolved); // before anything of a changed release is installed
  const store = storeRootOf(config.lock.store, options.configDir);
  const installed = await installManaged(
    server,
    resolved,
    options.npm,
    store,
    config.lock.pythonIndex,
  );
  if (installed !== resolved) progress(`${id}: installed into the package store ${store}`);
  progress(`${id}: ${describePackage(installed)}; starting…`);
  // Started as the gateway will start it: an npx server from the store, an image by its digest.
  const spawned = spawnedAs(id, server, installed, store);
  const args = lockedArguments(spawned); // before the server runs: nothing it writes is pinned
  const captured = await captureServer(
    { ...config, servers: { ...config.servers, [id]: spawned } },
    id,
    onStderr,
  );
  const entry = { ...toLockServer(installed, captured), ...args };
  progress(`${id}: captured ${countsOf(entry)}`);
  return { entry, captured };
};

export const countsOf = (entry: LockServer): string =>
  ITEM_KIND_NAMES.map((k) => `${Object.keys(entry[k]).length} ${k}`).join(', ');

/**
 * Scores what is about to be locked with the content detector (the same engine and thresholds as at
 * runtime), prints every warn and block, and refuses a block unless `--allow-blocked`: a lock is a
 * reviewed allowlist, and a poisoned definition must not become "the pinned truth" unnoticed.
 * `others` gives the tool names of the servers not captured now, for the shadowing rule.
 */
export const screen = (
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
    case 'pypi':
      return `${pkg.name}==${pkg.version} (${Object.keys(pkg.distributions).length} wheel(s) pinned by SHA-256; Python ${pkg.python})`;
    case 'file':
      return `${pkg.role} ${pkg.path} sha256:${pkg.sha256.slice(0, 12)}…`;
    case 'image':
      return `image ${pkg.ref} (${pkg.publicKeySha256 === undefined ? 'UNSIGNED: --allow-unpinned' : 'signature verified'})`;
    case 'remote':
      return `remote ${pkg.url} (no package identity)`;
  }
};

/** The last 20 lines of a server's stderr, for its failure report. */
export const stderrTail = () => {
  const lines: string[] = [];
  const push = (line: string) => {
    lines.push(line);
    if (lines.length > 20) lines.shift();
  };
  return { lines, push };
};

export const toFailure = (
  config: Config,
  id: string,
  error: unknown,
  stderr: readonly string[],
): LockFailure => {
  const server = config.servers[id];
  // `instanceof` narrows to GatewayError<any>: name the string code type it always has.
  const code = error instanceof GatewayError ? (error as GatewayError).code : 'INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
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
