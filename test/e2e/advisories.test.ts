import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture, npmServer, runToolgate, startStdioGateway, tempDir } from './harness.js';

const OSV = join(import.meta.dirname, '../fixtures/osv');
const SDK_ADVISORY = 'GHSA-ffff-gggg-hhhh'; // test/fixtures/osv: every 1.x of @modelcontextprotocol/sdk, critical

interface Report {
  packages: Record<string, string>;
  findings: { server: string; package: string; id: string; status: string }[];
}

/**
 * A deployment of the real server-memory from npm (its locked tree reaches @modelcontextprotocol/sdk
 * 1.x) next to a fixture server that is no npm package, with fresh advisory data beside the config.
 */
const deployment = () => {
  const dir = tempDir();
  cpSync(OSV, join(dir, 'osv'), { recursive: true }); // copied: its age is now, not the checkout's
  const config = join(dir, 'toolgate.yaml');
  const write = (advisories: Record<string, unknown>) =>
    writeFileSync(
      config,
      JSON.stringify({
        advisories,
        servers: {
          memory: {
            command: process.execPath,
            args: [npmServer('server-memory')],
            env: { MEMORY_FILE_PATH: join(dir, 'memory.json') },
            tools: ['read_graph'],
            sandbox: false,
          },
          echo: { command: process.execPath, args: [fixture('echo-server')], tools: ['echo'] },
        },
      }),
    );
  return { dir, config, write };
};

const toolNames = async (dir: string) => {
  const running = await startStdioGateway({}, { lock: { dir } });
  try {
    const { tools } = await running.client.listTools();
    return { tools: tools.map((t) => t.name).sort(), stderr: running.stderr.join('\n') };
  } finally {
    await running.close();
  }
};

const waiver = (expires: string) => ({
  advisory: 'CVE-2026-00002',
  server: 'memory',
  reason: 'the gateway never exposes the HTTP transport',
  expires,
});

describe('when a locked npm server has a critical advisory (advisories.osv)', () => {
  let d: ReturnType<typeof deployment>;
  beforeAll(async () => {
    d = deployment();
    d.write({ osv: 'osv' });
    const locked = await runToolgate(['lock', '--config', d.config]);
    expect(locked.code, locked.stderr).toBe(0);
  }, 180_000);

  it('[ADV-1] refuses to start it with ADVISORY_REFUSED naming package, advisory and fix, recorded in the audit log; the other server runs', async () => {
    const { tools, stderr } = await toolNames(d.dir);
    expect(tools).toEqual(['echo__echo']);
    expect(stderr).toContain('ADVISORY_REFUSED');
    expect(stderr).toMatch(
      /server \\?"memory\\?" not started: @modelcontextprotocol\/sdk@1\.\d+\.\d+ has GHSA-ffff-gggg-hhhh \(critical/,
    );
    expect(stderr).toContain('advisories.waivers');
    const audit = readFileSync(join(d.dir, 'toolgate-audit.jsonl'), 'utf8');
    expect(audit).toContain('ADVISORY_REFUSED');
  }, 120_000);

  it('[ADV-2] starts it under a waiver in force, logging the waiver, and refuses it again once the waiver expired', async () => {
    d.write({ osv: 'osv', waivers: [waiver('2099-12-31')] });
    const waived = await toolNames(d.dir);
    expect(waived.tools).toEqual(['echo__echo', 'memory__read_graph']);
    expect(waived.stderr).toContain('advisory waived');
    expect(waived.stderr).toContain('the gateway never exposes the HTTP transport');

    d.write({ osv: 'osv', waivers: [waiver('2026-01-31')] });
    const lapsed = await toolNames(d.dir);
    expect(lapsed.tools).toEqual(['echo__echo']);
    expect(lapsed.stderr).toContain('its waiver expired on 2026-01-31');
  }, 180_000);

  it('[ADV-4] toolgate deps shows the waiver and leaves it out of the exit code; an expired one counts', async () => {
    d.write({ osv: 'osv', waivers: [waiver('2099-12-31')] });
    const waived = await runToolgate(['deps', '--config', d.config, '--osv', join(d.dir, 'osv')]);
    expect(waived.code, waived.stderr).toBe(0);
    expect(waived.stdout).toMatch(
      /^CRITICAL +memory +@modelcontextprotocol\/sdk@\S+ +GHSA-ffff-gggg-hhhh .* WAIVED until 2099-12-31: the gateway never/m,
    );
    d.write({ osv: 'osv', waivers: [waiver('2026-01-31')] });
    const lapsed = await runToolgate(['deps', '--config', d.config, '--osv', join(d.dir, 'osv')]);
    expect(lapsed.code).toBe(1);
    expect(lapsed.stdout).toContain('waiver EXPIRED on 2026-01-31');

    // Another OSV source named, the config's advisories.osv is still asked: what a start refuses on.
    const other = join(d.dir, 'other-osv');
    mkdirSync(other);
    const policy = await runToolgate(['deps', '--config', d.config, '--osv', other]);
    expect(policy.code, policy.stderr).toBe(1);
    expect(policy.stdout).toContain(SDK_ADVISORY);
    expect(policy.stdout).toContain('(advisories.osv)');
  }, 120_000);

  it('[CHK-9] toolgate check fails item 9 on the unwaived advisory and passes it once waived', async () => {
    const item9 = async () => {
      const r = await runToolgate(['check', '--config', d.config, '--format', 'json']);
      const items = (
        JSON.parse(r.stdout) as { items: { id: string; verdict: string; evidence: string[] }[] }
      ).items;
      return items.find((i) => i.id === 'sbom-dependency-scanning');
    };
    d.write({ osv: 'osv' });
    const open = await item9();
    expect(open?.verdict).toBe('fail');
    expect(open?.evidence.join('\n')).toContain(
      `${SDK_ADVISORY} (critical) — the server is not started`,
    );
    d.write({ osv: 'osv', waivers: [waiver('2099-12-31')] });
    expect((await item9())?.verdict).toBe('pass');
  }, 120_000);
});

describe('when the advisory data is a toolgate deps report (advisories.report)', () => {
  let d: ReturnType<typeof deployment>;
  let report: string;
  beforeAll(async () => {
    d = deployment();
    d.write({ osv: 'osv' });
    expect((await runToolgate(['lock', '--config', d.config])).code).toBe(0);
    report = join(d.dir, 'toolgate-deps.json');
    const made = await runToolgate([
      'deps',
      '--config',
      d.config,
      '--osv',
      join(d.dir, 'osv'),
      '--format',
      'json',
      '--output',
      report,
    ]);
    expect(made.code, made.stderr).toBe(1);
    d.write({ report: 'toolgate-deps.json' });
  }, 180_000);

  it('[ADV-1] refuses the server from the report alone (offline)', async () => {
    const parsed = JSON.parse(readFileSync(report, 'utf8')) as Report;
    expect(parsed.findings).toContainEqual(
      expect.objectContaining({ server: 'memory', id: SDK_ADVISORY, status: 'open' }),
    );
    const { tools, stderr } = await toolNames(d.dir);
    expect(tools).toEqual(['echo__echo']);
    expect(stderr).toContain('ADVISORY_REFUSED');
  }, 120_000);

  it('[ADV-3] refuses a server the report was made for another version of as ADVISORY_UNCHECKED', async () => {
    const parsed = JSON.parse(readFileSync(report, 'utf8')) as Report;
    writeFileSync(
      report,
      JSON.stringify({
        ...parsed,
        packages: { memory: '@modelcontextprotocol/server-memory@0.0.1' },
        findings: [],
      }),
    );
    const { tools, stderr } = await toolNames(d.dir);
    expect(tools).toEqual(['echo__echo']);
    expect(stderr).toContain('ADVISORY_UNCHECKED');
    expect(stderr).toContain('the lock pins @modelcontextprotocol/server-memory@');
  }, 120_000);

  it('[ADV-3] does not start the gateway at all on a report that is not one', async () => {
    writeFileSync(report, JSON.stringify({ findings: 'none' }));
    const r = await runToolgate(['run', '--config', d.config], { timeoutMs: 60_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ADVISORY_REPORT_INVALID');
  }, 120_000);
});
