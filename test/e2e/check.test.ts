import { chmodSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture, runToolgate, tempDir } from './harness.js';

/** Runs the toolgate CLI; resolves with its exit code and output (never rejects). */
const toolgate = (args: readonly string[]) => runToolgate(args);

interface Report {
  readonly summary: Record<string, number>;
  readonly items: ReadonlyArray<{ id: string; verdict: string; evidence: string[]; fix?: string }>;
}
const verdictsOf = (stdout: string): Record<string, string> =>
  Object.fromEntries((JSON.parse(stdout) as Report).items.map((i) => [i.id, i.verdict]));
/** The table's verdict column, keyed by the item's title. */
const tableVerdicts = (stdout: string): Record<string, string> =>
  Object.fromEntries(
    [...stdout.matchAll(/^\s*\d+\. (.+?)\s+(PASS|WARN|FAIL)$/gm)].map((m) => [
      m[1] as string,
      (m[2] as string).toLowerCase(),
    ]),
  );

const TITLES: Record<string, string> = {
  allowlisting: 'Allowlisting',
  'signature-verification': 'Signature verification',
  sandboxing: 'Sandboxing',
  'resource-limits': 'Resource limits',
  'credential-scoping': 'Credential scoping',
  'network-isolation': 'Network isolation',
  'output-validation': 'Output validation',
  'audit-logging': 'Audit logging',
  'sbom-dependency-scanning': 'SBOM / dependency scanning',
  'update-policy': 'Update policy',
  'access-control': 'Access control',
  'red-team-testing': 'Red-team testing',
};
const byTitle = (verdicts: Record<string, string>) =>
  Object.fromEntries<string>(Object.entries(verdicts).map(([id, v]) => [TITLES[id] ?? id, v]));

/** Without a red-team report beside the config, item 12 warns. */
const NO_REDTEAM = { 'red-team-testing': 'warn' };
/** What the bad deployment sets up of neither: no advisory policy, no caller authentication or policy. */
const NOT_SET_UP = {
  'sbom-dependency-scanning': 'warn',
  'access-control': 'warn',
  ...NO_REDTEAM,
};

describe('when toolgate check scores a good deployment', () => {
  let dir: string;
  let config: string;
  beforeAll(async () => {
    dir = tempDir();
    config = join(dir, 'toolgate.yaml');
    const data = join(dir, 'data');
    mkdirSync(data);
    chmodSync(data, 0o777);
    // Fresh advisory data (copied: its age is now) and a Cedar policy for the one agent.
    cpSync(join(import.meta.dirname, '../fixtures/osv'), join(dir, 'osv'), { recursive: true });
    writeFileSync(
      join(dir, 'toolgate.cedar'),
      'permit (principal in Toolgate::Group::"dev", action, resource);\n',
    );
    // The demo's shape with fixture servers: exact allowlists, sandboxed (one bound folder), audited with
    // a witness; an advisory policy; callers authenticated and authorized, tools labelled, rates limited.
    writeFileSync(
      config,
      JSON.stringify({
        audit: { witnessFile: join(dir, 'witness.txt') },
        advisories: { osv: 'osv' },
        auth: { apiKeys: [{ id: 'dev-agent', sha256: 'a'.repeat(64) }] },
        agents: { 'dev-agent': { groups: ['dev'], stdio: true } },
        policy: { files: ['toolgate.cedar'] },
        rateLimits: { perAgent: { capacity: 60, refillPerSecond: 1 } },
        servers: {
          echo: {
            command: process.execPath,
            args: [fixture('echo-server')],
            tools: ['echo'],
            labels: { echo: ['sink'] },
          },
          files: {
            command: process.execPath,
            args: [fixture('echo-server')],
            tools: ['echo'],
            sandbox: { readOnly: [data] },
          },
        },
      }),
    );
    expect((await toolgate(['init', '--config', config])).code).toBe(0);
    const locked = await toolgate(['lock', '--config', config]);
    expect(locked.code, locked.stderr).toBe(0);
  }, 180_000);

  it('[CHK-6] [CHK-9] [CHK-10] passes every item but red-team testing (no report yet), and exits 0 (table and JSON agree)', async () => {
    const json = await toolgate(['check', '--config', config, '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const expected = {
      allowlisting: 'pass',
      'signature-verification': 'pass',
      sandboxing: 'pass',
      'resource-limits': 'pass',
      'credential-scoping': 'pass',
      'network-isolation': 'pass',
      'output-validation': 'pass',
      'audit-logging': 'pass',
      'update-policy': 'pass',
      'sbom-dependency-scanning': 'pass',
      'access-control': 'pass',
      ...NO_REDTEAM,
    };
    expect(verdictsOf(json.stdout)).toEqual(expected);
    const report = JSON.parse(json.stdout) as Report;
    expect(report.summary).toEqual({ pass: 11, warn: 1, fail: 0 });
    const evidence = (id: string) =>
      report.items.find((i) => i.id === id)?.evidence.join('\n') ?? '';
    expect(evidence('sbom-dependency-scanning')).toContain(`osv ${join(dir, 'osv')}: 0 day(s) old`);
    expect(evidence('access-control')).toContain('policy: toolgate.cedar');
    expect(report.items.find((i) => i.id === 'audit-logging')?.evidence.join('\n')).toContain(
      'toolgate-audit.key: mode 0600',
    );
    expect(report.items.find((i) => i.id === 'sandboxing')?.evidence.join('\n')).toContain(
      'bubblewrap',
    );
    const table = await toolgate(['check', '--config', config]);
    expect(table.code).toBe(0);
    expect(tableVerdicts(table.stdout)).toEqual(byTitle(expected));
    expect(table.stdout).toContain('11 pass, 1 warn, 0 fail');
  });

  it('[CHK-6] exits 1 with --fail-on warn, since red-team testing warns', async () => {
    expect((await toolgate(['check', '--config', config, '--fail-on', 'warn'])).code).toBe(1);
  });

  it('[CHK-4] fails audit logging once the signing key is readable by others, as probed on disk', async () => {
    const key = join(dir, 'toolgate-audit.key');
    chmodSync(key, 0o644);
    try {
      const result = await toolgate(['check', '--config', config, '--format', 'json']);
      expect(result.code).toBe(1);
      const audit = (JSON.parse(result.stdout) as Report).items.find(
        (i) => i.id === 'audit-logging',
      );
      expect(audit).toMatchObject({ verdict: 'fail', fix: `chmod 600 ${key}` });
    } finally {
      chmodSync(key, 0o600);
    }
  });
});

describe('when toolgate check scores a bad deployment (allowlist "*", sandbox: false, audit: false, no lock)', () => {
  let config: string;
  beforeAll(() => {
    config = join(tempDir(), 'toolgate.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        audit: false,
        servers: {
          open: {
            command: process.execPath,
            args: [fixture('echo-server')],
            tools: ['*'],
            sandbox: false,
          },
        },
      }),
    );
  });

  const expected = {
    allowlisting: 'fail',
    'signature-verification': 'fail',
    sandboxing: 'fail',
    'resource-limits': 'fail',
    'credential-scoping': 'pass',
    'network-isolation': 'fail',
    'output-validation': 'pass',
    'audit-logging': 'fail',
    'update-policy': 'fail',
    ...NOT_SET_UP,
  };

  it('[CHK-6] fails the items it breaks, each with a fix, and exits 1 (JSON)', async () => {
    const result = await toolgate(['check', '--config', config, '--format', 'json']);
    expect(result.code).toBe(1);
    expect(verdictsOf(result.stdout)).toEqual(expected);
    const items = (JSON.parse(result.stdout) as Report).items;
    expect(items.find((i) => i.id === 'update-policy')?.fix).toBe(
      `toolgate lock --config ${config}`,
    );
    expect(items.filter((i) => i.verdict === 'fail').every((i) => (i.fix ?? '').length > 0)).toBe(
      true,
    );
  });

  it('[CHK-6] shows the same verdicts and fixes in the table, and exits 1', async () => {
    const result = await toolgate(['check', '--config', config]);
    expect(result.code).toBe(1);
    expect(tableVerdicts(result.stdout)).toEqual(byTitle(expected));
    expect(result.stdout).toContain('fix: servers.open.tools: [name1, name2]');
    expect(result.stdout).toContain('7 fail');
  });
});

describe('when toolgate check is misused', () => {
  it('[CHK-6] exits 2 on a usage error or a config it cannot read, scoring nothing', async () => {
    const config = join(tempDir(), 'toolgate.yaml');
    writeFileSync(config, JSON.stringify({ servers: { a: { command: 'node', tools: ['x'] } } }));
    for (const args of [
      [],
      ['--config', config, '--format', 'sarif'],
      ['--config', config, '--fail-on', 'never'],
      ['--config', config, '--bogus'],
      ['--config', join(config, '..', 'missing.yaml')],
    ]) {
      const result = await toolgate(['check', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout, args.join(' ')).toBe('');
    }
  });
});
