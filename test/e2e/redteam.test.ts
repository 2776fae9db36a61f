import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture, runToolgate, tempDir } from './harness.js';

interface Report {
  readonly posture: string[];
  readonly summary: { blocked: number; notBlocked: number };
  readonly attacks: ReadonlyArray<{
    id: string;
    title: string;
    blocked: boolean;
    evidence: string;
  }>;
}

const ALL = [
  'rug-pull',
  'tool-installation',
  'output-injection',
  'credential-in-output',
  'secret-in-arguments',
  'shadowing',
  'ssrf-loopback',
  'ssrf-ipv6',
  'ssrf-decimal',
  'ssrf-mapped',
  'ssrf-redirect',
  'ssrf-metadata',
  'path-symlink',
  'path-prefix',
  'sandbox-shadow',
  'sandbox-home',
  'sandbox-write',
  'sandbox-network',
  'oversized-output',
  'nested-output',
  'toxic-chain',
  'dns-rebinding',
  'cross-origin',
];

/** A config file in a fresh dir: one user server (never started by redteam) plus `extra` on top. */
const configWith = (extra: Record<string, unknown>, server: Record<string, unknown> = {}) => {
  const path = join(tempDir(), 'toolgate.yaml');
  const echo = { command: process.execPath, args: [fixture('echo-server')], tools: ['echo'] };
  writeFileSync(path, JSON.stringify({ ...extra, servers: { echo: { ...echo, ...server } } }));
  return path;
};

const run = async (config: string, format = 'json') => {
  const started = Date.now();
  const result = await runToolgate(['redteam', '--config', config, '--format', format], {
    timeoutMs: 90_000,
  });
  return { ...result, ms: Date.now() - started };
};

const verdicts = (report: Report) =>
  Object.fromEntries(report.attacks.map((a) => [a.id, a.blocked ? 'blocked' : 'NOT BLOCKED']));

describe('toolgate redteam', () => {
  let strongConfig: string;
  let strong: Awaited<ReturnType<typeof run>>;
  let weak: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    strongConfig = configWith({});
    strong = await run(strongConfig);
    weak = await run(
      configWith(
        {
          lock: { required: false },
          content: { detect: { enabled: false } },
          flows: { privateUntrustedSink: 'off', privateValueInSink: 'off' },
          http: { allowedHosts: ['attacker.example'], allowedOrigins: ['http://attacker.example'] },
        },
        { tools: ['*'], sandbox: false },
      ),
      'table',
    );
  }, 180_000);

  it('[RED-1] [RED-4] blocks every attack against the default config, with evidence, in under 60 s', () => {
    expect(strong.stderr, strong.stdout).toBe('');
    const report = JSON.parse(strong.stdout) as Report;
    expect(report.attacks.map((a) => a.id)).toEqual(ALL);
    expect(verdicts(report), strong.stdout).toEqual(
      Object.fromEntries(ALL.map((id) => [id, 'blocked'])),
    );
    const evidence = Object.fromEntries(report.attacks.map((a) => [a.id, a.evidence]));
    expect(evidence, strong.stdout).toMatchObject({
      'tool-installation': expect.stringContaining('admin_exec never listed') as unknown,
      'output-injection': 'DETECT_INJECTION',
      'credential-in-output': expect.stringContaining('[REDACTED:github-token]') as unknown,
      'secret-in-arguments': 'LEAK_SECRET_IN_ARGUMENTS',
      'oversized-output': 'LIMIT_MESSAGE_TOO_LARGE',
      'nested-output': 'LIMIT_TOO_DEEP',
      'toxic-chain': 'FLOW_APPROVAL_REQUIRED',
      'dns-rebinding': 'HTTP 403 HTTP_HOST_REJECTED',
      'cross-origin': 'HTTP 403 HTTP_ORIGIN_REJECTED',
    });
    expect(report.summary).toEqual({ blocked: ALL.length, notBlocked: 0 });
    expect(strong.code).toBe(0);
    expect(strong.ms).toBeLessThan(60_000);
  });

  it('[RED-2] [RED-4] reports what gets through a weakened config as NOT BLOCKED and exits 1', () => {
    const rows = Object.fromEntries(
      [...weak.stdout.matchAll(/^(.+?)\s+(blocked|NOT BLOCKED)\n {4}([a-z0-9-]+): (.*)$/gm)].map(
        (m) => [m[3] as string, { verdict: m[2] as string, evidence: m[4] as string }],
      ),
    );
    const expectedThrough = [
      'rug-pull',
      'tool-installation',
      'output-injection',
      'ssrf-loopback',
      'ssrf-ipv6',
      'ssrf-decimal',
      'ssrf-mapped',
      'ssrf-redirect',
      'path-symlink',
      'path-prefix',
      'sandbox-home',
      'sandbox-write',
      'sandbox-network',
      'toxic-chain',
      'dns-rebinding',
      'cross-origin',
      // Only root can read /etc/shadow without a sandbox in the way.
      ...(process.getuid?.() === 0 ? ['sandbox-shadow'] : []),
    ];
    for (const id of expectedThrough)
      expect(rows[id]?.verdict, `${id}\n${weak.stdout}${weak.stderr}`).toBe('NOT BLOCKED');
    // Defenses that do not depend on the weakened settings still hold.
    for (const id of [
      'credential-in-output',
      'secret-in-arguments',
      'shadowing',
      'oversized-output',
    ])
      expect(rows[id]?.verdict, id).toBe('blocked');
    expect(rows['rug-pull']?.evidence).toContain('injected description');
    expect(rows['sandbox-network']?.evidence).toContain("reached the host's loopback");
    expect(rows['toxic-chain']?.evidence).toBe('the private value reached the sink');
    expect(weak.stdout).toContain('sandbox: off (a user server runs unsandboxed)');
    expect(weak.stdout).toMatch(/\d+ blocked, \d+ NOT BLOCKED$/m);
    expect(weak.code).toBe(1);
    expect(weak.ms).toBeLessThan(60_000);
  });

  it('[RED-2] fails closed when no attack can reach the hostile server (REDTEAM_SETUP_FAILED)', async () => {
    // A policy that permits nothing hides every hostile tool: a run that tried nothing must not pass.
    const config = configWith({ policy: { files: ['deny.cedar'] } });
    writeFileSync(join(dirname(config), 'deny.cedar'), '// permits nothing\n');
    const result = await run(config);
    expect(result.stderr).toContain('REDTEAM_SETUP_FAILED');
    expect(result.stderr).toContain("the hostile server's tools are not listed");
    expect(result.stdout).toBe('');
    expect(result.code).toBe(1);
  }, 90_000);

  it('[CHK-8] makes toolgate check pass red-team testing once the report is kept beside the config', async () => {
    const checked = async () => {
      const result = await runToolgate(['check', '--config', strongConfig, '--format', 'json']);
      const items = (JSON.parse(result.stdout) as { items: { id: string; verdict: string }[] })
        .items;
      return items.find((i) => i.id === 'red-team-testing')?.verdict;
    };
    expect(await checked()).toBe('warn');
    const report = JSON.parse(strong.stdout) as { generatedAt: string; configSha256: string };
    expect(Date.now() - Date.parse(report.generatedAt)).toBeLessThan(180_000);
    expect(report.configSha256).toMatch(/^[0-9a-f]{64}$/);
    writeFileSync(join(dirname(strongConfig), 'toolgate-redteam.json'), strong.stdout);
    expect(await checked()).toBe('pass');
  });

  it('[RED-3] exits 2 on a usage error or a config that cannot be read', async () => {
    // Three separate processes that start nothing: run at once.
    const [missing, format, unreadable] = await Promise.all([
      runToolgate(['redteam']),
      runToolgate(['redteam', '--config', 'x.yaml', '--format', 'sarif']),
      runToolgate(['redteam', '--config', join(tempDir(), 'none.yaml')]),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--config FILE is required');
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('Allowed choices are table, json');
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain('CONFIG_UNREADABLE');
  });
});
