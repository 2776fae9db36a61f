import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigSchema } from '../config/schema.js';
import { createSecretScanner } from '../secrets/scan.js';
import { clientConfigPath, CLIENTS, type ClientName } from './clients.js';
import { convertClientConfig, toServerId } from './convert.js';
import { wrapClientConfig } from './wrap.js';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures/client-configs/init');
const load = (client: ClientName): unknown =>
  JSON.parse(readFileSync(join(FIXTURES, `${client}.json`), 'utf8'));
const convert = (client: ClientName) => convertClientConfig(load(client), { home: '/home/me' });

/** Every credential written in clear in the fixtures: none may reach a toolgate config. */
const CLEAR_SECRETS = [
  'ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789',
  'sk_live_51HaBcDeFgHiJkLmNoPqRsTuV',
  'lin_api_abcdefghijklmnopqrstuvwxyz0123456789',
  'BSAxxxxxxxxxxxxxxxxxxxxxxxxxxxx1',
  'figd_abcdefghijklmnopqrstuvwxyz012345',
];
const leaks = createSecretScanner(CLEAR_SECRETS);

describe('when converting each supported client config', () => {
  it.each(CLIENTS)(
    '[INIT-1] %s: every server is kept, the result validates, and allowlists are empty',
    (client) => {
      const { config } = convert(client);
      const parsed = ConfigSchema.parse(config);
      expect(Object.keys(parsed.servers).length).toBeGreaterThanOrEqual(2);
      for (const server of Object.values(parsed.servers)) {
        expect(server.tools).toEqual([]);
        expect(server.prompts).toEqual([]);
        expect(server.resources).toEqual([]);
      }
    },
  );

  it.each(CLIENTS)('[INIT-2] %s: no credential reaches the toolgate config in clear', (client) => {
    const text = stringify(convert(client).config);
    expect(leaks.scan(text)).toEqual([]);
    expect(text).not.toMatch(/\$\{/); // no client-expanded reference copied as if toolgate expanded it
  });
});

describe('when a server holds credentials', () => {
  it("[INIT-2] moves a literal env credential to a secret read from toolgate's environment, and keeps plain values", () => {
    const { config, secrets } = convert('claude-desktop');
    expect(config.servers['github']).toMatchObject({
      env: { GITHUB_API_URL: 'https://api.github.com' },
      secrets: { GITHUB_PERSONAL_ACCESS_TOKEN: { env: 'GITHUB_PERSONAL_ACCESS_TOKEN' } },
    });
    expect(secrets).toContainEqual(
      expect.objectContaining({ server: 'github', env: 'GITHUB_PERSONAL_ACCESS_TOKEN' }),
    );
  });

  it("[INIT-2] gives two servers' credentials of one name their own variables", () => {
    const doc = {
      mcpServers: {
        a: { command: 'x', env: { API_KEY: 'one-value-1' } },
        'a-2': { command: 'x', env: { A_API_KEY: 'two' } },
        b: { command: 'x', env: { API_KEY: 'three' } },
      },
    };
    const { config } = convertClientConfig(doc, { home: '/h' });
    expect(
      [config.servers['a'], config.servers['a-2'], config.servers['b']].map((s) => s?.['secrets']),
    ).toEqual([
      { API_KEY: { env: 'A_API_KEY' } },
      { A_API_KEY: { env: 'A_2_A_API_KEY' } },
      { API_KEY: { env: 'B_API_KEY' } },
    ]);
  });

  it('[INIT-2] turns a client environment reference into the same variable, and an input prompt into a named one', () => {
    expect(convert('claude-code').config.servers['airtable']).toMatchObject({
      secrets: { AIRTABLE_API_KEY: { env: 'AIRTABLE_API_KEY' } },
    });
    expect(convert('gemini').config.servers['notes']).toMatchObject({
      env: { NOTES_LOG_LEVEL: 'info' },
      secrets: { OPENAI_API_KEY: { env: 'OPENAI_API_KEY' } },
    });
    expect(convert('vscode').config.servers['perplexity']).toMatchObject({
      secrets: { PERPLEXITY_API_KEY: { env: 'PERPLEXITY_API_KEY' } },
    });
  });

  it('[INIT-2] moves credential headers to secretHeaders and drops credentials from arguments and URLs', () => {
    const code = convert('claude-code');
    expect(code.config.servers['sentry-api']).toMatchObject({
      url: 'https://mcp.sentry.dev/mcp',
      headers: { 'X-Client': 'claude-code' },
      secretHeaders: { Authorization: { env: 'SENTRY_API_AUTHORIZATION' } },
    });
    const cursor = convert('cursor');
    expect(cursor.config.servers['stripe']?.['args']).toEqual([
      '-y',
      '@stripe/mcp@0.2.4',
      '--tools=all',
      '--api-key=REMOVED-CREDENTIAL',
    ]);
    expect(cursor.config.servers['linear']?.['url']).toBe('https://mcp.linear.app/sse');
    expect(cursor.notes.join('\n')).toMatch(/server stripe: argument 4 held a credential/);
    expect(cursor.notes.join('\n')).toMatch(
      /server linear: the URL held credentials \(query parameter api_key\)/,
    );
    expect(convert('windsurf').config.servers['figma']).toMatchObject({
      secretHeaders: { 'X-Figma-Token': { env: 'FIGMA_X_FIGMA_TOKEN' } },
    });
  });
});

describe("when a server's arguments name what it writes", () => {
  it("[INIT-3] makes server-filesystem's folders, a file flag's folder and a *_DIR/_PATH value's folder writable, nothing else", () => {
    const desktop = convert('claude-desktop').config.servers;
    expect(desktop['filesystem']?.['sandbox']).toEqual({
      writable: ['/home/me/Desktop', '/home/me/projects'],
    });
    expect(desktop['memory']?.['sandbox']).toEqual({ writable: ['/home/me/.local/share/memory'] });
    expect(desktop['github']?.['sandbox']).toEqual({ writable: [] });
    expect(convert('cursor').config.servers['sqlite']?.['sandbox']).toEqual({
      writable: ['/home/me/data'],
    });
    expect(convert('gemini').config.servers['notes']?.['sandbox']).toEqual({
      writable: ['/home/me/notes'],
    });
  });
});

describe('when a package spec is not pinned', () => {
  it('[INIT-4] names each server `toolgate lock` will refuse, and only those', () => {
    expect(convert('claude-desktop').unpinned.map((u) => u.server)).toEqual(['filesystem']);
    expect(convert('windsurf').unpinned.map((u) => u.server)).toEqual(['brave-search']);
    expect(convert('claude-code').unpinned).toEqual([]);
  });
});

describe('server ids and paths', () => {
  it('makes client names valid, unique server ids', () => {
    expect(toServerId('Sentry API', new Set())).toBe('sentry-api');
    expect(toServerId('memory', new Set(['memory']))).toBe('memory-2');
    expect(toServerId('!!!', new Set())).toBe('server');
  });

  it("resolves each client's Linux path under the home folder", () => {
    expect(clientConfigPath('claude-desktop', 'linux', '/h')).toBe(
      '/h/.config/Claude/claude_desktop_config.json',
    );
    expect(clientConfigPath('vscode', 'linux', '/h')).toBe('/h/.config/Code/User/mcp.json');
    expect(clientConfigPath('gemini', 'linux', '/h')).toBe('/h/.gemini/settings.json');
  });
});

describe('when wrapping a client config', () => {
  it('[INIT-5] replaces every server with one toolgate entry and keeps the rest of the file', () => {
    const text = wrapClientConfig(
      load('claude-code'),
      ['/usr/bin/node', '/opt/toolgate.js'],
      '/etc/tg/toolgate.yaml',
    );
    const doc = JSON.parse(text ?? '') as Record<string, unknown>;
    expect(doc['mcpServers']).toEqual({
      toolgate: {
        command: '/usr/bin/node',
        args: ['/opt/toolgate.js', 'run', '--config', '/etc/tg/toolgate.yaml'],
      },
    });
    expect(doc['numStartups']).toBe(12);
    const vscode = JSON.parse(wrapClientConfig(load('vscode'), ['/n', '/t'], '/c') ?? '') as Record<
      string,
      unknown
    >;
    expect(vscode['servers']).toEqual({
      toolgate: { type: 'stdio', command: '/n', args: ['/t', 'run', '--config', '/c'] },
    });
  });
});
