import { describe, expect, it } from 'vitest';
import { CLIENT_PATHS, CLIENTS, clientConfigPath, isClientName } from './clients.js';

describe('when a client config is located', () => {
  it.each(CLIENTS)('puts the Linux config of %s under the home folder', (client) => {
    const path = clientConfigPath(client, 'linux', '/home/u');
    expect(path.startsWith('/home/u/')).toBe(true);
    expect(path).toMatch(/\.json$/);
  });

  it('resolves the Windows roaming folder and the macOS Application Support folder', () => {
    expect(clientConfigPath('claude-desktop', 'darwin', '/Users/u')).toBe(
      '/Users/u/Library/Application Support/Claude/claude_desktop_config.json',
    );
    expect(clientConfigPath('vscode', 'win32', 'C:/Users/u', '/appdata')).toBe(
      '/appdata/Code/User/mcp.json',
    );
  });

  it('names the member that holds the servers: VS Code’s own file uses servers', () => {
    expect(CLIENT_PATHS.vscode.key).toBe('servers');
    expect(CLIENTS.filter((c) => c !== 'vscode').map((c) => CLIENT_PATHS[c].key)).toEqual(
      Array(CLIENTS.length - 1).fill('mcpServers'),
    );
  });

  it('knows only the supported client names, not Object members', () => {
    expect(isClientName('cursor')).toBe(true);
    expect(isClientName('toString')).toBe(false);
    expect(isClientName('Cursor')).toBe(false);
  });
});
