import {
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig, parseConfig } from '../../config/load.js';
import { lockPathOf, readLock } from '../../pins/store.js';
import { toToolsTable } from '../../init/tools-table.js';
import { stripJsonc } from '../../scan/parse.js';
import { wrapWarnings } from '../../init/readiness.js';
import { InitError } from '../../errors.js';
import { clientConfigPath, CLIENTS, isClientName, type Platform } from '../../init/clients.js';
import { convertClientConfig, serversOf, type Conversion } from '../../init/convert.js';
import {
  backupPathOf,
  sha256,
  statePathOf,
  wrapClientConfig,
  type WrapState,
} from '../../init/wrap.js';

interface InitFromOptions {
  readonly from: string;
  readonly config: string;
  readonly force?: true | undefined;
  readonly wrap?: true | undefined;
  readonly unwrap?: true | undefined;
  readonly tools?: true | undefined;
}

/** The client config a `--from` value names: a known client's standard path on this OS, or a file. */
const sourceOf = (from: string): string => {
  // A bare word that names no client and no file is a mistyped client, not a missing file.
  if (!isClientName(from) && !/[/\\.]/.test(from) && !existsSync(from))
    throw new InitError(
      'INIT_SOURCE_UNREADABLE',
      `--from ${from}: no such client (nor file here); --from takes one of ${CLIENTS.join(', ')}, or a path`,
    );
  if (!isClientName(from)) return resolve(from);
  const platform =
    (['linux', 'darwin', 'win32'] as const).find((p) => p === process.platform) ?? 'linux';
  return clientConfigPath(
    from,
    platform satisfies Platform,
    homedir(),
    process.env['APPDATA'] ?? '',
  );
};

const readSource = (path: string): { bytes: Buffer; doc: unknown } => {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new InitError(
      'INIT_SOURCE_UNREADABLE',
      `cannot read client config ${path}: ${(cause as Error).message} (--from takes a file or one of ${CLIENTS.join(', ')})`,
      { cause },
    );
  }
  try {
    // untrusted: the client's file; the conversion checks each member before use. VS Code's mcp.json
    // and settings.json are JSONC: comments and trailing commas are blanked first.
    return { bytes, doc: JSON.parse(stripJsonc(bytes.toString('utf8'))) as unknown };
  } catch (cause) {
    throw new InitError(
      'INIT_SOURCE_INVALID',
      `client config ${path} is not JSON (or JSONC): ${(cause as Error).message}`,
      { cause },
    );
  }
};

/** `toolgate init --from`: client config → toolgate.yaml, and `--wrap` / `--unwrap` of the client config. */
export const initFrom = async (values: InitFromOptions): Promise<number> => {
  const source = sourceOf(values.from);
  const out = resolve(values.config);
  if (values.unwrap) return unwrap(source);
  // A wrapped client config lists only toolgate itself: importing it would put toolgate in front of toolgate.
  if (existsSync(statePathOf(source)))
    throw new InitError(
      'INIT_ALREADY_WRAPPED',
      `${source} is already wrapped by toolgate (${statePathOf(source)}); run init --from ${source} --unwrap first`,
    );
  const { bytes, doc } = readSource(source);
  if (serversOf(doc) === undefined)
    throw new InitError(
      'INIT_SOURCE_INVALID',
      `client config ${source} has no mcpServers (or servers) member`,
    );
  if (values.wrap && existsSync(out) && !values.force) {
    // The usual second step: the reviewed config (allowlists filled in) is kept, only the client is rewritten.
    await loadConfig(out);
    console.log(`keeping ${out} as it is (pass --force to import the client's servers again)`);
    wrap(source, bytes, doc, out);
    await warnBeforeRestart(out);
    return 0;
  }
  const conversion = convertClientConfig(doc, { home: homedir() });
  if (Object.keys(conversion.config.servers).length === 0)
    throw new InitError(
      'INIT_SOURCE_INVALID',
      `client config ${source} defines no server toolgate can run`,
    );
  parseConfig(conversion.config); // the written file must load as is; a failure names the path
  if (existsSync(out) && !values.force)
    throw new InitError('INIT_OUTPUT_EXISTS', `${out} exists; pass --force to overwrite it`);
  const header = `# Written by toolgate init from ${source}.\n# Allowlists start empty: nothing is allowed until you add tool names (see the next steps printed by init).\n`;
  mkdirSync(dirname(out), { recursive: true }); // getting-started's ~/toolgate/ does not exist yet
  writeFileSync(out, header + stringify(conversion.config), { mode: 0o644 });
  console.log(
    `wrote ${out} (${Object.keys(conversion.config.servers).length} servers, no credential copied)`,
  );
  report(conversion, out);
  if (values.wrap) {
    wrap(source, bytes, doc, out);
    await warnBeforeRestart(out);
  }
  return 0;
};

const report = (conversion: Conversion, out: string): void => {
  for (const note of conversion.notes) console.log(`  ${note}`);
  if (conversion.secrets.length > 0) {
    console.log(
      '\nSecrets: set these variables in the environment toolgate runs in (or change each source in the config to { file } or { command }):',
    );
    for (const s of conversion.secrets)
      console.log(`  ${s.env.padEnd(32)} → server ${s.server}, ${s.target} (${s.why})`);
  }
  const missing = Object.values(conversion.config.servers)
    .flatMap((s) => (s['sandbox'] as { writable?: string[] } | undefined)?.writable ?? [])
    .filter((path) => !existsSync(path));
  if (missing.length > 0) {
    console.log(
      '\nMissing folders: the sandbox binds only existing paths, so create them before toolgate lock:',
    );
    console.log(`  mkdir -p ${missing.map((p) => JSON.stringify(p)).join(' ')}`);
  }
  if (conversion.unpinned.length > 0) {
    console.log(
      '\nUnpinned packages: `toolgate lock` refuses them. Pin an exact version in args (e.g. pkg@1.2.3), or lock with --allow-unpinned:',
    );
    for (const u of conversion.unpinned) console.log(`  server ${u.server}: ${u.reason}`);
  }
  const c = JSON.stringify(out);
  console.log(`\nNext steps:
  toolgate lock --config ${c}    # start each server, verify its package, pin its tools in toolgate.lock
  toolgate init --tools --config ${c}    # each server's locked tools as a table, for review
  then name the tools each server may expose under its tools: in ${c}, and run toolgate run --config ${c}`);
};

const wrap = (source: string, bytes: Buffer, doc: unknown, out: string): void => {
  const state = statePathOf(source);
  const backup = backupPathOf(source, new Date());
  copyFileSync(source, backup, constants.COPYFILE_EXCL); // byte for byte; never over an older backup
  const text = wrapClientConfig(doc, [process.execPath, realpathSync(process.argv[1] ?? '')], out);
  if (text === undefined)
    throw new InitError(
      'INIT_SOURCE_INVALID',
      `client config ${source} has no servers member to replace`,
    );
  writeFileSync(
    state,
    JSON.stringify(
      { backup, wrappedSha256: sha256(text), toolgateConfig: out } satisfies WrapState,
      null,
      2,
    ) + '\n',
  );
  writeFileSync(source, text);
  console.log(
    `\nwrapped ${source}: the client now starts toolgate run --config ${out}\n  backup: ${backup} (${bytes.length} bytes); undo with toolgate init --from ${source} --unwrap`,
  );
  if (stripJsonc(bytes.toString('utf8')) !== bytes.toString('utf8'))
    console.log('  its comments are not in the wrapped file; --unwrap restores them with the rest');
};

/** What the wrapped client would meet now (no lock, nothing allowed, secrets from the environment). */
const warnBeforeRestart = async (out: string): Promise<void> => {
  const config = await loadConfig(out);
  const lockPath = lockPathOf(out, config);
  for (const warning of wrapWarnings(config, out, lockPath, await readLock(lockPath)))
    console.log(`  warning: ${warning}`);
};

const unwrap = (source: string): number => {
  const statePath = statePathOf(source);
  if (!existsSync(statePath))
    throw new InitError(
      'INIT_NOT_WRAPPED',
      `${source} was not wrapped by toolgate (no ${statePath})`,
    );
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as WrapState;
  const current = existsSync(source) ? sha256(readFileSync(source)) : 'missing';
  if (current !== state.wrappedSha256)
    throw new InitError(
      'INIT_WRAP_CHANGED',
      `${source} changed since toolgate wrapped it; not restored. The original is in ${state.backup}: merge it by hand`,
    );
  copyFileSync(state.backup, source);
  rmSync(statePath);
  console.log(`restored ${source} from ${state.backup}`);
  return 0;
};

export const initTools = async (configPath: string): Promise<number> => {
  const config = await loadConfig(configPath);
  const lockPath = lockPathOf(configPath, config);
  const lock = await readLock(lockPath);
  if (lock === undefined) {
    console.error(
      `toolgate: no lock at ${lockPath}: run toolgate lock --config ${configPath} first`,
    );
    return 1;
  }
  console.log(toToolsTable(config, lock));
  return 0;
};
