import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/load.js';
import { connectAndScan } from '../../scan/connect.js';
import { toJson, toSarif, toTable } from '../../scan/format.js';
import {
  exitCodeOf,
  scanConfigText,
  scanLockText,
  sortFindings,
  type ScannedFile,
} from '../../scan/scan.js';
import { SEVERITIES, type Finding, type Severity } from '../../scan/types.js';

export const SCAN_USAGE = `  toolgate scan [PATH...] [--connect] [--format table|json|sarif] [--fail-on low|medium|high]
                                               static findings in MCP client configs and toolgate
                                               configs (no PATH: this machine's client configs);
                                               --connect also starts each server of a toolgate
                                               config sandboxed and checks its live definitions;
                                               exit 1 on a finding at or above --fail-on (high)`;

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

const isSeverity = (s: string | undefined): s is Severity => SEVERITIES.includes(s as Severity);

/**
 * `toolgate scan`: reads each config (and the lock beside a toolgate config), runs the pure rules of
 * scan/, prints the report. Exit 0 clean, 1 on a finding at or above --fail-on, 2 on a usage or input error.
 */
export const scan = async (argv: readonly string[]): Promise<number> => {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        format: { type: 'string', default: 'table' },
        'fail-on': { type: 'string', default: 'high' },
        connect: { type: 'boolean' },
      },
    });
  } catch (error) {
    console.error(`toolgate scan: ${(error as Error).message}\n${SCAN_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const format = values.format;
  const failOn = values['fail-on'];
  if (format !== 'table' && format !== 'json' && format !== 'sarif')
    return usage(`unknown --format "${format}"`);
  if (!isSeverity(failOn)) return usage(`unknown --fail-on "${failOn}"`);

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
    paths = found.map((l) => l.path);
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

const usage = (message: string): number => {
  console.error(`toolgate scan: ${message}\n${SCAN_USAGE}`);
  return 2;
};

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
