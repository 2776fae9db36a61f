import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { createSecretScanner } from '../../src/secrets/scan.js';
import { fixture, runToolgate, startStdioGateway, tempDir } from './harness.js';

const CLIENTS = join(import.meta.dirname, '../fixtures/client-configs/init');

/** Runs the toolgate CLI; resolves with its exit code and output (never rejects). */
const toolgate = (args: string[], env: Record<string, string> = {}) => runToolgate(args, { env });

/** A copy of a fixture client config in a fresh folder (the wrap writes beside it). */
const clientCopy = (name: string): { dir: string; client: string; out: string } => {
  const dir = tempDir();
  const client = join(dir, `${name}.json`);
  copyFileSync(join(CLIENTS, `${name}.json`), client);
  return { dir, client, out: join(dir, 'toolgate.yaml') };
};

describe('toolgate init --from (real CLI)', () => {
  it('[INIT-1] [INIT-2] writes a config the schema loads, with no credential in clear and each secret named', async () => {
    const { client, out } = clientCopy('claude-desktop');
    const result = await toolgate(['init', '--from', client, '--config', out]);
    expect(result.code, result.stderr).toBe(0);
    const config = await loadConfig(out);
    expect(Object.keys(config.servers).sort()).toEqual(['filesystem', 'github', 'memory']);
    expect(Object.values(config.servers).every((s) => s.tools.length === 0)).toBe(true);
    expect(
      createSecretScanner(['ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789']).scan(
        readFileSync(out, 'utf8'),
      ),
    ).toEqual([]);
    expect(result.stdout).toMatch(/GITHUB_PERSONAL_ACCESS_TOKEN +→ server github/);
    expect(result.stdout).toMatch(/server filesystem: .*names no version/);
    expect(result.stdout).toContain('mkdir -p "/home/me/Desktop"'); // a fixture path that does not exist here
    expect(result.stdout).toContain(`toolgate lock --config ${JSON.stringify(out)}`);
  });

  it('[INIT-1] refuses to overwrite an existing config unless --force', async () => {
    const { client, out } = clientCopy('cursor');
    writeFileSync(out, 'mine\n');
    const refused = await toolgate(['init', '--from', client, '--config', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('INIT_OUTPUT_EXISTS');
    expect(readFileSync(out, 'utf8')).toBe('mine\n');
    expect((await toolgate(['init', '--from', client, '--config', out, '--force'])).code).toBe(0);
    expect(parseYaml(readFileSync(out, 'utf8'))).toHaveProperty('servers.stripe');
  });

  it('[INIT-1] finds a named client at its standard Linux path, and writes into a folder it creates', async () => {
    const home = tempDir();
    mkdirSync(join(home, '.cursor'));
    copyFileSync(join(CLIENTS, 'cursor.json'), join(home, '.cursor/mcp.json'));
    // getting-started's first command writes to ~/toolgate/, which a new user does not have yet.
    const out = join(home, 'toolgate', 'toolgate.yaml');
    const result = await toolgate(['init', '--from', 'cursor', '--config', out], { HOME: home });
    expect(result.code, result.stderr).toBe(0);
    expect(Object.keys((await loadConfig(out)).servers).sort()).toEqual([
      'linear',
      'sqlite',
      'stripe',
    ]);
    const typo = await toolgate(['init', '--from', 'claude', '--config', out], { HOME: home });
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain(
      'INIT_SOURCE_UNREADABLE: --from claude: no such client (nor file here); --from takes one of claude-desktop, claude-code,',
    );
  });

  it('[INIT-5] [INIT-6] --wrap points the client at toolgate after a backup, says what it will meet, --unwrap restores it byte for byte', async () => {
    const { dir, client, out } = clientCopy('claude-code');
    const original = readFileSync(client);
    const wrapped = await toolgate(['init', '--from', client, '--config', out, '--wrap']);
    expect(wrapped.code, wrapped.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(client, 'utf8')) as {
      mcpServers: Record<string, { args: string[] }>;
      numStartups: number;
    };
    expect(Object.keys(doc.mcpServers)).toEqual(['toolgate']);
    expect(doc.mcpServers['toolgate']?.args.slice(-3)).toEqual(['run', '--config', out]);
    expect(doc.numStartups).toBe(12);
    expect(wrapped.stdout).toContain('backup:');
    // Imported and wrapped in one step: no lock yet, nothing allowed; the client's toolgate would not serve.
    expect(wrapped.stdout).toContain(`warning: no lock at ${join(dir, 'toolgate.lock')}`);
    expect(wrapped.stdout).toContain('(LOCK_MISSING)');
    expect(wrapped.stdout).toContain('(POLICY_TOOL_DENIED)');
    const backups = readdirSync(dir).filter((f) => f.includes('.toolgate-backup-'));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(dir, backups[0] as string)).equals(original)).toBe(true);
    const again = await toolgate(['init', '--from', client, '--config', out, '--force', '--wrap']);
    expect(again.stderr).toContain('INIT_ALREADY_WRAPPED');
    const unwrapped = await toolgate(['init', '--from', client, '--unwrap']);
    expect(unwrapped.code, unwrapped.stderr).toBe(0);
    expect(readFileSync(client).equals(original)).toBe(true);
    expect((await toolgate(['init', '--from', client, '--unwrap'])).stderr).toContain(
      'INIT_NOT_WRAPPED',
    );
  });

  it('[INIT-1] [INIT-5] reads a VS Code mcp.json with comments and trailing commas (JSONC), and unwraps it byte for byte', async () => {
    const dir = tempDir();
    const client = join(dir, 'mcp.json');
    const jsonc = readFileSync(join(CLIENTS, 'vscode.json'), 'utf8')
      .replace('"servers": {', '// my servers\n  "servers": { /* reviewed */')
      .replace(/}\n}\n$/, '},\n}\n');
    writeFileSync(client, jsonc);
    const out = join(dir, 'toolgate.yaml');
    const wrapped = await toolgate(['init', '--from', client, '--config', out, '--wrap']);
    expect(wrapped.code, wrapped.stderr).toBe(0);
    expect(Object.keys((await loadConfig(out)).servers).sort()).toEqual([
      'fetch',
      'github',
      'perplexity',
    ]);
    expect(wrapped.stdout).toContain('--unwrap restores them');
    expect((await toolgate(['init', '--from', client, '--unwrap'])).code).toBe(0);
    expect(readFileSync(client, 'utf8')).toBe(jsonc);
  });

  it('[INIT-5] --wrap after a review keeps the edited config and only rewrites the client', async () => {
    const { client, out } = clientCopy('windsurf');
    expect((await toolgate(['init', '--from', client, '--config', out])).code).toBe(0);
    const reviewed = readFileSync(out, 'utf8').replace('tools: []', 'tools: [brave_web_search]');
    writeFileSync(out, reviewed);
    const wrapped = await toolgate(['init', '--from', client, '--config', out, '--wrap']);
    expect(wrapped.code, wrapped.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(reviewed);
    expect(
      Object.keys((JSON.parse(readFileSync(client, 'utf8')) as { mcpServers: object }).mcpServers),
    ).toEqual(['toolgate']);
  });

  it('[INIT-5] --unwrap refuses when the client config changed since the wrap, naming the backup', async () => {
    const { dir, client, out } = clientCopy('gemini');
    expect((await toolgate(['init', '--from', client, '--config', out, '--wrap'])).code).toBe(0);
    const edited = readFileSync(client, 'utf8').replace('"GitHub"', '"Dark"');
    writeFileSync(client, edited);
    const refused = await toolgate(['init', '--from', client, '--unwrap']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('INIT_WRAP_CHANGED');
    const backup = readdirSync(dir).find((f) => f.includes('.toolgate-backup-')) as string;
    expect(refused.stderr).toContain(join(dir, backup));
    expect(readFileSync(client, 'utf8')).toBe(edited);
  });

  it('[INIT-1] round trip: init, lock under the default sandbox, the tools table for review, then run', async () => {
    const dir = tempDir();
    const client = join(dir, 'claude_desktop_config.json');
    writeFileSync(
      client,
      JSON.stringify(
        { mcpServers: { echo: { command: process.execPath, args: [fixture('echo-server')] } } },
        null,
        2,
      ),
    );
    const out = join(dir, 'toolgate.yaml');
    expect((await toolgate(['init', '--from', client, '--config', out])).code).toBe(0);
    expect((await loadConfig(out)).servers['echo']).toMatchObject({
      sandbox: expect.objectContaining({ seccomp: true }),
    });
    const locked = await toolgate(['lock', '--config', out]);
    expect(locked.code, locked.stderr + locked.stdout).toBe(0);
    expect(existsSync(join(dir, 'toolgate.lock'))).toBe(true);
    const table = await toolgate(['init', '--tools', '--config', out]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^SERVER\s+TOOL\s+ALLOWED\s+DESCRIPTION/);
    expect(table.stdout).toMatch(/^echo\s+echo\s+no\s/m);
    // The reviewed tool is allowed by hand, as the printed next step says; run then serves it, locked and sandboxed.
    writeFileSync(out, readFileSync(out, 'utf8').replace('tools: []', 'tools: [echo]'));
    const gw = await startStdioGateway({}, { lock: { dir } });
    try {
      expect((await gw.client.listTools()).tools.map((t) => t.name)).toEqual(['echo__echo']);
      expect(
        await gw.client.callTool({ name: 'echo__echo', arguments: { text: 'hi' } }),
      ).toMatchObject({ content: [{ type: 'text', text: 'hi' }] });
    } finally {
      await gw.close();
    }
  });
});
