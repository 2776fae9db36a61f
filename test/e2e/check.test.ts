import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
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

const NOT_PROVIDED = {
  'sbom-dependency-scanning': 'warn',
  'access-control': 'warn',
  'red-team-testing': 'warn',
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
    // The demo's shape with fixture servers: exact allowlists, sandboxed (one bound folder), audited with a witness.
    writeFileSync(
      config,
      JSON.stringify({
        audit: { witnessFile: join(dir, 'witness.txt') },
        servers: {
          echo: { command: process.execPath, args: [fixture('echo-server')], tools: ['echo'] },
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

  it('[CHK-6] passes every item it can check, warns on the three not provided, and exits 0 (table and JSON agree)', async () => {
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
      ...NOT_PROVIDED,
    };
    expect(verdictsOf(json.stdout)).toEqual(expected);
    const report = JSON.parse(json.stdout) as Report;
    expect(report.summary).toEqual({ pass: 9, warn: 3, fail: 0 });
    expect(report.items.find((i) => i.id === 'audit-logging')?.evidence.join('\n')).toContain(
      'toolgate-audit.key: mode 0600',
    );
    expect(report.items.find((i) => i.id === 'sandboxing')?.evidence.join('\n')).toContain(
      'bubblewrap',
    );
    const table = await toolgate(['check', '--config', config]);
    expect(table.code).toBe(0);
    expect(tableVerdicts(table.stdout)).toEqual(byTitle(expected));
    expect(table.stdout).toContain('9 pass, 3 warn, 0 fail');
  });

  it('[CHK-6] exits 1 with --fail-on warn, since three items warn', async () => {
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
    ...NOT_PROVIDED,
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
