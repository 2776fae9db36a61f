import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sarifSchema } from '../fixtures/schemas/validate.js';
import {
  emptyLockServer,
  toInitializeRecord,
  toLockItem,
  toLockText,
} from '../../src/pins/lock.js';
import { BIN, tempDir } from './harness.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/client-configs');
const SECRETS = [
  'ghp_FAKE',
  'hunter2',
  'sk-proj-FAKE',
  'lin_api_plain',
  'xoxb-FAKE',
  'plain-text-secret',
];

const scan = (args: readonly string[], opts: { cwd?: string; home?: string } = {}) => {
  const r = spawnSync(process.execPath, [BIN, 'scan', ...args], {
    encoding: 'utf8',
    cwd: opts.cwd ?? process.cwd(),
    env: { ...process.env, ...(opts.home !== undefined && { HOME: opts.home }) },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** A copy of every fixture plus a lock beside toolgate.yaml where two servers share a tool name. */
const workspace = (): string => {
  const dir = tempDir();
  for (const name of [
    'claude-desktop.json',
    'claude-code.json',
    'cursor.json',
    'vscode-mcp.json',
    'vscode-settings.json',
    'windsurf.json',
    'gemini-settings.json',
    'toolgate.yaml',
  ])
    copyFileSync(join(FIXTURES, name), join(dir, name));
  const server = (...tools: string[]) => ({
    ...emptyLockServer(
      { kind: 'remote', url: 'https://x.example/mcp' },
      toInitializeRecord({ serverInfo: { name: 's', version: '1' }, capabilities: {} }),
    ),
    tools: Object.fromEntries(
      tools.map((t) => [t, toLockItem({ name: t, inputSchema: { type: 'object' } })]),
    ),
  });
  writeFileSync(
    join(dir, 'toolgate.lock'),
    toLockText({
      lockfileVersion: 1,
      servers: { everything: server('echo', 'add'), remote: server('search', 'echo') },
    }),
  );
  return dir;
};
const ALL = [
  'claude-desktop.json',
  'claude-code.json',
  'cursor.json',
  'vscode-mcp.json',
  'vscode-settings.json',
  'windsurf.json',
  'gemini-settings.json',
  'toolgate.yaml',
];

interface JsonReport {
  files: { file: string; kind: string; servers: number }[];
  findings: {
    rule: string;
    severity: string;
    server: string;
    location: { file: string; pointer: string; line?: number };
    message: string;
    fix: string;
  }[];
}

describe('toolgate scan (the built CLI)', () => {
  it('[SCAN-8] prints a table of every client shape, worst first, and exits 1 on a high finding', () => {
    const dir = workspace();
    const r = scan(ALL, { cwd: dir });
    expect(r.code).toBe(1);
    for (const name of ALL) expect(r.stdout).toContain(`scanned ${name}`);
    const rows = r.stdout.split('\n').filter((l) => /^(HIGH|MEDIUM|LOW) /.test(l));
    expect(rows[0]).toMatch(/^HIGH /);
    expect(rows.at(-1)).toMatch(/^LOW /);
    expect(r.stdout).toMatch(
      /HIGH +shell-launch +installer +claude-code\.json:7 \/mcpServers\/installer\/args\/1/,
    );
    expect(r.stdout).toMatch(
      /MEDIUM +shared-tool-name +everything +toolgate\.lock:\d+ \/servers\/everything\/tools\/echo/,
    );
    for (const s of SECRETS) expect(r.stdout + r.stderr).not.toContain(s);
  });

  it('[SCAN-2] [SCAN-7] prints JSON with every rule, a pointer and a line per finding, and no credential', () => {
    const dir = workspace();
    const r = scan([...ALL, '--format', 'json'], { cwd: dir });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.files.map((f) => f.kind)).toEqual([
      'mcpServers',
      'mcpServers',
      'mcpServers',
      'vscode-servers',
      'vscode-settings',
      'mcpServers',
      'mcpServers',
      'toolgate',
    ]);
    expect(new Set(report.findings.map((f) => f.rule))).toEqual(
      new Set([
        'unpinned-package',
        'plain-secret',
        'shell-launch',
        'plain-http',
        'no-sandbox',
        'broad-allowlist',
        'shared-tool-name',
      ]),
    );
    for (const f of report.findings)
      expect(f.location.line, `${f.rule} ${f.location.pointer}`).toBeGreaterThan(0);
    expect(
      report.findings
        .filter((f) => f.rule === 'shared-tool-name')
        .map((f) => f.server)
        .sort(),
    ).toEqual(['everything', 'remote']);
    for (const s of SECRETS) expect(r.stdout).not.toContain(s);
  });

  it('[SCAN-8] prints SARIF 2.1.0 that validates, with rules, levels, file URIs and lines', () => {
    const dir = workspace();
    const r = scan([...ALL, '--format', 'sarif'], { cwd: dir });
    expect(r.code).toBe(1);
    const sarif = JSON.parse(r.stdout) as {
      version: string;
      runs: {
        tool: { driver: { rules: { id: string }[] } };
        results: {
          ruleId: string;
          level: string;
          locations: {
            physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } };
          }[];
        }[];
      }[];
    };
    const validate = sarifSchema(); // the published SARIF 2.1.0 schema
    expect(validate(sarif)).toEqual([]);
    // The schema does reject what SARIF forbids: a level outside its enum, a result without a message.
    expect(
      validate({
        ...sarif,
        runs: [
          { ...sarif.runs[0], results: [{ ruleId: 'x', level: 'high', message: { text: 't' } }] },
        ],
      }),
    ).not.toEqual([]);
    expect(
      validate({ ...sarif, runs: [{ ...sarif.runs[0], results: [{ ruleId: 'x' }] }] }),
    ).not.toEqual([]);
    const run = sarif.runs[0];
    expect(run?.tool.driver.rules.map((x) => x.id)).toContain('unpinned-package');
    const results = run?.results ?? [];
    expect(results.length).toBeGreaterThan(10);
    for (const res of results)
      expect(run?.tool.driver.rules.map((x) => x.id)).toContain(res.ruleId);
    expect(new Set(results.map((x) => x.level))).toEqual(new Set(['error', 'warning', 'note']));
    const shell = results.find((x) => x.ruleId === 'shell-launch' && x.level === 'error');
    expect(shell?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'claude-code.json' },
      region: { startLine: 7, startColumn: 22 },
    });
    for (const s of SECRETS) expect(r.stdout).not.toContain(s);
  });

  it('[SCAN-8] --fail-on sets the threshold of exit 1; usage errors exit 2', () => {
    const dir = workspace();
    expect(scan(['vscode-mcp.json', '--fail-on', 'high'], { cwd: dir }).code).toBe(1); // an unpinned range: high
    writeFileSync(
      join(dir, 'https-only.json'),
      JSON.stringify({ mcpServers: { s: { url: 'https://mcp.example.net/mcp' } } }),
    );
    expect(scan(['https-only.json'], { cwd: dir }).code).toBe(0);
    writeFileSync(
      join(dir, 'medium.json'),
      JSON.stringify({ mcpServers: { s: { command: 'node', args: ['/opt/s.js'] } } }),
    );
    expect(scan(['medium.json'], { cwd: dir }).code).toBe(0);
    expect(scan(['medium.json', '--fail-on', 'medium'], { cwd: dir }).code).toBe(1);
    expect(scan(['medium.json', '--format', 'xml'], { cwd: dir }).code).toBe(2);
    expect(scan(['medium.json', '--fail-on', 'critical'], { cwd: dir }).code).toBe(2);
    expect(scan(['missing.json'], { cwd: dir }).code).toBe(2);
    writeFileSync(join(dir, 'broken.json'), '{"mcpServers": ');
    expect(scan(['broken.json'], { cwd: dir })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('not valid JSON'),
    });
  });

  it('[SCAN-5] with no PATH, scans the standard locations and says which were found', () => {
    const home = tempDir();
    const project = tempDir();
    mkdirSync(join(home, '.cursor'));
    copyFileSync(join(FIXTURES, 'cursor.json'), join(home, '.cursor/mcp.json'));
    mkdirSync(join(project, '.vscode'));
    copyFileSync(join(FIXTURES, 'vscode-mcp.json'), join(project, '.vscode/mcp.json'));
    const r = scan(['--format', 'json'], { cwd: project, home });
    expect(r.stderr).toContain(`found   Cursor: ${join(home, '.cursor/mcp.json')}`);
    expect(r.stderr).toContain(`found   VS Code (project): ${join(project, '.vscode/mcp.json')}`);
    expect(r.stderr).toContain(
      `absent  Claude Desktop: ${join(home, '.config/Claude/claude_desktop_config.json')}`,
    );
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.files.map((f) => f.file)).toEqual([
      join(home, '.cursor/mcp.json'),
      '.vscode/mcp.json',
    ]);
    expect(
      report.findings
        .filter((f) => f.rule === 'no-sandbox')
        .map((f) => f.server)
        .sort(),
    ).toEqual(['fetch', 'playwright']);
    expect(scan([], { cwd: tempDir(), home: tempDir() }).code).toBe(2);
    // From the home folder, ~/.cursor/mcp.json is both Cursor's user and project config: one file, once.
    const fromHome = JSON.parse(
      scan(['--format', 'json'], { cwd: home, home }).stdout,
    ) as JsonReport;
    expect(fromHome.files.map((f) => f.file)).toEqual(['.cursor/mcp.json']);
    const seen = fromHome.findings.map((f) => JSON.stringify(f));
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen).size).toBe(seen.length);
  });
});
