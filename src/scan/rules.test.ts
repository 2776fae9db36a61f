import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  toInitializeRecord,
  toLockItem,
  toLockText,
  emptyLockServer,
  type Lock,
} from '../pins/lock.js';
import { packageSpecsOf, unpinnedPypiReason } from './launch.js';
import { exitCodeOf, scanConfigText, scanLockText } from './scan.js';
import type { Finding, RuleId } from './types.js';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures/client-configs');
const scanFixture = (name: string): Finding[] => {
  const result = scanConfigText(name, readFileSync(join(FIXTURES, name), 'utf8'));
  if (!result.ok) throw new Error(result.message);
  return result.findings;
};
/** `server rule pointer` per finding of one rule, to compare whole sets. */
const of = (findings: readonly Finding[], rule: RuleId): string[] =>
  findings
    .filter((f) => f.rule === rule)
    .map((f) => `${f.server} ${f.severity} ${f.location.pointer}`)
    .sort();

describe('when reading each client shape', () => {
  it.each([
    ['claude-desktop.json', 'mcpServers', 2],
    ['claude-code.json', 'mcpServers', 2],
    ['cursor.json', 'mcpServers', 3],
    ['vscode-mcp.json', 'vscode-servers', 2],
    ['vscode-settings.json', 'vscode-settings', 1],
    ['windsurf.json', 'mcpServers', 2],
    ['gemini-settings.json', 'mcpServers', 2],
    ['toolgate.yaml', 'toolgate', 4],
  ])('[SCAN-1] finds every server of %s', (name, kind, servers) => {
    const result = scanConfigText(name, readFileSync(join(FIXTURES, name), 'utf8'));
    expect(result.ok && result.scanned).toEqual({ file: name, kind, servers });
  });

  it('[SCAN-1] gives each finding its line (JSONC comments and trailing commas kept in place)', () => {
    const f = scanFixture('vscode-mcp.json').find((x) => x.rule === 'unpinned-package');
    expect(f?.location).toMatchObject({ pointer: '/servers/playwright/args/0', line: 8 });
  });
});

describe('unpinned-package', () => {
  it('[SCAN-1] reports bare names, tags, ranges, git and URL specs, and images without a digest', () => {
    expect(of(scanFixture('claude-desktop.json'), 'unpinned-package')).toEqual([
      'filesystem high /mcpServers/filesystem/args/1',
    ]);
    expect(of(scanFixture('claude-code.json'), 'unpinned-package')).toEqual([
      'db high /projects/~1home~1me~1app/mcpServers/db/args/0',
    ]);
    expect(of(scanFixture('vscode-mcp.json'), 'unpinned-package')).toEqual([
      'playwright high /servers/playwright/args/0',
    ]);
    expect(of(scanFixture('vscode-settings.json'), 'unpinned-package')).toEqual([
      'git high /mcp/servers/git/args/2',
    ]);
    expect(of(scanFixture('toolgate.yaml'), 'unpinned-package')).toEqual([
      'boxed high /servers/boxed/image',
    ]);
  });

  it('[SCAN-1] accepts exact versions: name@1.2.3, --package=, name==1.2.3', () => {
    expect(of(scanFixture('gemini-settings.json'), 'unpinned-package')).toEqual([]);
    expect(of(scanFixture('cursor.json'), 'unpinned-package')).toEqual([]);
  });

  it("[SCAN-1] reads the package spec past each launcher's own flags", () => {
    expect(
      packageSpecsOf('/usr/local/bin/npx', [
        '--yes',
        '--registry',
        'https://r.example',
        'pkg@1.0.0',
      ]).map((p) => p.spec),
    ).toEqual(['pkg@1.0.0']);
    expect(
      packageSpecsOf('uvx', ['--python', '3.12', '--from', 'tool==1.0', 'tool-cli']).map(
        (p) => p.spec,
      ),
    ).toEqual(['tool==1.0']);
    expect(packageSpecsOf('uv', ['tool', 'run', 'ruff@0.6.1']).map((p) => p.spec)).toEqual([
      'ruff@0.6.1',
    ]);
    expect(packageSpecsOf('pnpm', ['dlx', 'pkg']).map((p) => p.launcher)).toEqual(['pnpm dlx']);
    expect(packageSpecsOf('node', ['server.js'])).toEqual([]);
    expect([
      unpinnedPypiReason('a==1.2.3'),
      unpinnedPypiReason('a[x]==2.0rc1'),
      unpinnedPypiReason('a@0.6.1'),
    ]).toEqual([undefined, undefined, undefined]);
    expect(
      [
        unpinnedPypiReason('a>=1'),
        unpinnedPypiReason('a==1.*'),
        unpinnedPypiReason('a@latest'),
        unpinnedPypiReason('a'),
      ].every(Boolean),
    ).toBe(true);
  });

  it('[SCAN-1] reports a docker run image without a digest, past the run flags', () => {
    const digest = 'a'.repeat(64);
    const doc = JSON.stringify({
      mcpServers: {
        tagged: {
          command: 'docker',
          args: [
            'run',
            '-i',
            '--rm',
            '-e',
            'GITHUB_TOKEN',
            '-v',
            '/a:/b',
            'ghcr.io/github/github-mcp-server:v1',
            'stdio',
          ],
        },
        pinned: { command: 'podman', args: ['run', '-i', '--rm', `ghcr.io/x/y@sha256:${digest}`] },
      },
    });
    const result = scanConfigText('c.json', doc);
    expect(result.ok && of(result.findings, 'unpinned-package')).toEqual([
      'tagged high /mcpServers/tagged/args/7',
    ]);
  });

  it('[SCAN-1] finds an unpinned launch inside a shell script', () => {
    const doc = JSON.stringify({
      mcpServers: { s: { command: 'bash', args: ['-c', 'cd /x && npx -y some-server'] } },
    });
    const result = scanConfigText('c.json', doc);
    expect(result.ok && of(result.findings, 'unpinned-package')).toEqual([
      's high /mcpServers/s/args/1',
    ]);
  });
});

describe('shell-launch', () => {
  it('[SCAN-3] reports a download piped to a shell as high and a shell script as medium', () => {
    expect(of(scanFixture('claude-code.json'), 'shell-launch')).toEqual([
      'installer high /mcpServers/installer/args/1',
    ]);
    expect(of(scanFixture('windsurf.json'), 'shell-launch')).toEqual([
      'shell-wrapped medium /mcpServers/shell-wrapped/args/1',
    ]);
    expect(of(scanFixture('claude-desktop.json'), 'shell-launch')).toEqual([]);
  });
});

describe('plain-http', () => {
  it('[SCAN-4] reports plain-HTTP remotes, not loopback or https', () => {
    expect(of(scanFixture('cursor.json'), 'plain-http')).toEqual([
      'remote-docs high /mcpServers/remote-docs/url',
    ]);
    expect(of(scanFixture('gemini-settings.json'), 'plain-http')).toEqual([
      'weather high /mcpServers/weather/httpUrl',
    ]);
    expect(of(scanFixture('toolgate.yaml'), 'plain-http')).toEqual([
      'remote high /servers/remote/url',
    ]);
    expect(of(scanFixture('vscode-mcp.json'), 'plain-http')).toEqual([]);
  });
});

describe('no-sandbox', () => {
  it('[SCAN-5] reports every stdio server a client starts, and toolgate sandbox: false, not sandboxed ones', () => {
    expect(of(scanFixture('cursor.json'), 'no-sandbox')).toEqual([
      'fetch medium /mcpServers/fetch/command',
    ]);
    expect(of(scanFixture('toolgate.yaml'), 'no-sandbox')).toEqual([
      'loose high /servers/loose/sandbox',
    ]);
  });
});

describe('broad-allowlist', () => {
  it('[SCAN-6] reports "*" allowlists, tools above prompts', () => {
    expect(of(scanFixture('toolgate.yaml'), 'broad-allowlist')).toEqual([
      'loose low /servers/loose/prompts',
      'loose medium /servers/loose/tools',
    ]);
  });
});

describe('shared-tool-name', () => {
  it('[SCAN-7] reports a tool name offered by two locked servers, once per server', () => {
    const server = (...tools: string[]) => ({
      ...emptyLockServer(
        { kind: 'remote', url: 'https://x.example/mcp' },
        toInitializeRecord({ serverInfo: { name: 's', version: '1' }, capabilities: {} }),
      ),
      tools: Object.fromEntries(
        tools.map((t) => [t, toLockItem({ name: t, inputSchema: { type: 'object' } })]),
      ),
    });
    const lock: Lock = {
      lockfileVersion: 1,
      servers: { a: server('search', 'read'), b: server('search'), c: server('write') },
    };
    const result = scanLockText('toolgate.lock', toLockText(lock));
    expect(result.ok && of(result.findings, 'shared-tool-name')).toEqual([
      'a medium /servers/a/tools/search',
      'b medium /servers/b/tools/search',
    ]);
    expect(result.ok && result.findings[0]?.message).toBe('tool "search" is also offered by b');
    expect(result.ok && result.findings[0]?.location.line).toBeGreaterThan(1);
  });
});

describe('exit code', () => {
  it('[SCAN-8] is 1 when a finding is at or above --fail-on, else 0', () => {
    const findings = scanFixture('cursor.json'); // one high, one medium
    expect([
      exitCodeOf(findings, 'high'),
      exitCodeOf(findings, 'medium'),
      exitCodeOf(
        findings.filter((f) => f.severity !== 'high'),
        'high',
      ),
    ]).toEqual([1, 1, 0]);
    expect(exitCodeOf([], 'low')).toBe(0);
  });
});
