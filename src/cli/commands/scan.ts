import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { connectAndScan } from '../../scan/connect.js';
import { Command, Option } from '@commander-js/extra-typings';
import { toJson, toSarif, toTable } from '../../scan/format.js';
import {
  exitCodeOf,
  scanConfigText,
  scanLockText,
  sortFindings,
  type ScannedFile,
} from '../../scan/scan.js';
import { SEVERITIES, type Finding, type Severity } from '../../scan/types.js';
import { done, usageError } from '../program.js';

/** Where clients keep their MCP servers on Linux, user-wide then per project (docs/security-team.md lists macOS and Windows). */
const standardLocations = (home: string, cwd: string): { client: string; path: string }[] => [
  { client: 'Claude Desktop', path: join(home, '.config/Claude/claude_desktop_config.json') },
  { client: 'Claude Code', path: join(home, '.claude.json') },
  { client: 'Claude Code (project)', path: join(cwd, '.mcp.json') },
  { client: 'Cursor', path: join(home, '.cursor/mcp.json') },
  { client: 'Cursor (project)', path: join(cwd, '.cursor/mcp.json') },
  { client: 'VS Code', path: join(home, '.config/Code/User/mcp.json') },
  { client: 'VS Code settings', path: join(home, '.config/Code/User/settings.json') },
  { client: 'VS Code (project)', path: join(cwd, '.vscode/mcp.json') },
  { client: 'Windsurf', path: join(home, '.codeium/windsurf/mcp_config.json') },
  { client: 'Gemini CLI', path: join(home, '.gemini/settings.json') },
  { client: 'Gemini CLI (project)', path: join(cwd, '.gemini/settings.json') },
  { client: 'toolgate', path: join(cwd, 'toolgate.yaml') },
];

/**
 * `toolgate scan`: reads each config (and the lock beside a toolgate config), runs the pure rules of
 * scan/, prints the report. Exit 0 clean, 1 on a finding at or above --fail-on, 2 on a usage or input error.
 */
const scan = async (
  positionals: readonly string[],
  values: { format: 'table' | 'json' | 'sarif'; failOn: Severity; connect?: true },
  usage: (message: string) => never,
): Promise<number> => {
  const { format, failOn } = values;

  const cwd = process.cwd();
  let paths = positionals;
  if (paths.length === 0) {
    const locations = standardLocations(homedir(), cwd);
    const found = locations.filter((l) => existsSync(l.path));
    for (const l of locations)
      console.error(`${found.includes(l) ? 'found  ' : 'absent '} ${l.client}: ${l.path}`);
    if (found.length === 0) {
      console.error(
        'toolgate scan: no MCP client config found in the standard locations; name one as PATH',
      );
      return 2;
    }
    // Run from the home folder, a project location is the user one (~/.cursor/mcp.json): scan it once.
    paths = [...new Set(found.map((l) => l.path))];
  }

  const files: ScannedFile[] = [];
  const findings: Finding[] = [];
  const shown = (p: string): string =>
    positionals.length > 0 ? p : relative(cwd, p).startsWith('..') ? p : relative(cwd, p);
  for (const path of paths) {
    const text = await read(path);
    if (text === undefined) return 2;
    const result = scanConfigText(shown(path), text);
    if (!result.ok) return usage(`${path}: ${result.message}`);
    files.push(result.scanned);
    findings.push(...result.findings);
    if (!result.config) continue;
    if (values.connect) findings.push(...(await connectFindings(path, shown(path))));
    // A toolgate config's lock holds the tools each server listed when locked: the only static view of them.
    const lockPath = resolve(dirname(path), result.config.lock.path ?? 'toolgate.lock');
    if (!existsSync(lockPath)) continue;
    const lockText = await read(lockPath);
    if (lockText === undefined) return 2;
    const locked = scanLockText(
      shown(positionals.length > 0 ? relative(cwd, lockPath) || lockPath : lockPath),
      lockText,
    );
    if (!locked.ok) return usage(`${lockPath}: ${locked.message}`);
    findings.push(...locked.findings);
  }

  const report = { files, findings: sortFindings(findings) };
  process.stdout.write(
    format === 'json' ? toJson(report) : format === 'sarif' ? toSarif(report) : toTable(report),
  );
  return exitCodeOf(findings, failOn);
};

export const scanCommand = () =>
  new Command('scan')
    .description(
      "static findings in MCP client configs and toolgate configs (no PATH: this machine's " +
        'client configs; --connect also starts each server of a toolgate config); exit 1 on a finding ' +
        'at or above --fail-on (high)',
    )
    .argument('[PATH...]', 'client configs or toolgate configs')
    .addOption(
      new Option('--format <FORMAT>').choices(['table', 'json', 'sarif'] as const).default('table'),
    )
    .addOption(
      new Option('--fail-on <SEVERITY>', 'exit 1 from this severity on')
        .choices(SEVERITIES)
        .default('high'),
    )
    .option(
      '--connect',
      'also start each server of a toolgate config sandboxed and check its live definitions',
    )
    .action(async (paths, opts, command) =>
      done(await scan(paths, opts, (message) => usageError(command, message))),
    );

const read = async (path: string): Promise<string | undefined> => {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    console.error(`toolgate scan: cannot read ${path}: ${(error as Error).message}`);
    return undefined;
  }
};

/** `--connect`: the config as a start loads it (relative paths from its folder), each server started and listed. */
const connectFindings = async (path: string, shown: string): Promise<Finding[]> =>
  connectAndScan(shown, await loadConfig(path), (server, line) =>
    console.error(`toolgate scan: ${server}: ${line}`),
  );
