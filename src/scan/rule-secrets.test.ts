import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toTable } from './format.js';
import { scanConfigText } from './scan.js';
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

describe('plain-secret', () => {
  it('[SCAN-2] reports known credential formats in env, headers and URLs, and credential-named literals', () => {
    expect(of(scanFixture('claude-desktop.json'), 'plain-secret')).toEqual([
      'github high /mcpServers/github/env/GITHUB_PERSONAL_ACCESS_TOKEN',
    ]);
    expect(of(scanFixture('claude-code.json'), 'plain-secret')).toEqual([
      'db medium /projects/~1home~1me~1app/mcpServers/db/env/DATABASE_PASSWORD',
    ]);
    expect(of(scanFixture('gemini-settings.json'), 'plain-secret')).toEqual([
      'weather high /mcpServers/weather/headers/Authorization',
    ]);
    expect(of(scanFixture('windsurf.json'), 'plain-secret')).toEqual([
      'linear high /mcpServers/linear/serverUrl',
    ]);
    expect(of(scanFixture('toolgate.yaml'), 'plain-secret')).toEqual([
      'loose high /servers/loose/env/SLACK_BOT_TOKEN',
      'remote medium /servers/remote/headers/Authorization',
    ]);
  });

  it('[SCAN-2] leaves references (${env:X}, ${input:x}) alone', () => {
    expect(of(scanFixture('cursor.json'), 'plain-secret')).toEqual([]);
    expect(of(scanFixture('vscode-mcp.json'), 'plain-secret')).toEqual([]);
  });

  it('[SCAN-2] never repeats the credential in a finding', () => {
    const all = [
      'claude-desktop.json',
      'claude-code.json',
      'gemini-settings.json',
      'windsurf.json',
      'toolgate.yaml',
    ].flatMap(scanFixture);
    const text = JSON.stringify(all);
    for (const secret of [
      'ghp_FAKE',
      'hunter2',
      'sk-proj-FAKE',
      'lin_api_plain',
      'xoxb-FAKE',
      'plain-text-secret',
    ])
      expect(text).not.toContain(secret);
  });
});

describe('when a finding quotes the config', () => {
  it('[SCAN-2] shows a git spec without the token in its URL', () => {
    const doc = JSON.stringify({
      mcpServers: {
        s: {
          command: 'npx',
          args: ['-y', 'git+https://bot:s3cr3t-t0ken-value@github.com/o/r.git'],
        },
      },
    });
    const result = scanConfigText('c.json', doc);
    const text = JSON.stringify(result.ok && result.findings);
    expect(text).toContain('unpinned-package');
    expect(text).not.toContain('s3cr3t-t0ken-value');
  });

  it('[SCAN-2] does not take a path, a URL or a reference under a credential-named key for the credential', () => {
    const doc = JSON.stringify({
      mcpServers: {
        s: {
          url: 'https://x.example/mcp?api_key=${env:KEY}&auth_type=oauth2-pkce',
          env: {
            TOKEN_FILE: '/run/secrets/token',
            AUTH_URL: 'https://auth.example/token',
            API_KEY: '/etc/key.pem',
          },
        },
      },
    });
    const result = scanConfigText('c.json', doc);
    expect(result.ok && result.findings).toEqual([]);
  });

  it('[SCAN-8] prints control characters of names escaped in the table', () => {
    const doc = JSON.stringify({
      mcpServers: { 'evil\u001b[2J': { url: 'http://x.example/mcp' } },
    });
    const result = scanConfigText('c.json', doc);
    const table = toTable({
      files: result.ok ? [result.scanned] : [],
      findings: result.ok ? result.findings : [],
    });
    expect(table).toContain('evil\\u001b[2J');
    expect(table).not.toContain('\u001b');
  });

  it('[SCAN-1] reads a YAML file with mcpServers as a client config, not a toolgate one', () => {
    const result = scanConfigText(
      'config.yaml',
      'mcpServers:\n  s:\n    command: npx\n    args: [pkg]\n',
    );
    expect(result.ok && of(result.findings, 'unpinned-package')).toEqual([
      's high /mcpServers/s/args/0',
    ]);
  });
});
