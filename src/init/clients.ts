import { join } from 'node:path';

/** The MCP clients whose config `toolgate init --from` reads, by the name given on the command line. */
export const CLIENTS = [
  'claude-desktop',
  'claude-code',
  'cursor',
  'vscode',
  'windsurf',
  'gemini',
] as const;
export type ClientName = (typeof CLIENTS)[number];
export type Platform = 'linux' | 'darwin' | 'win32';

export const isClientName = (name: string): name is ClientName =>
  (CLIENTS as readonly string[]).includes(name);

/**
 * Where each client keeps its MCP servers, per OS: `~` is the home folder, `%APPDATA%` the Windows
 * roaming folder. Only the Linux paths are exercised here; the others are documented (getting-started.md).
 * `key` is the member that holds the servers (VS Code's own `mcp.json` uses `servers`).
 */
export const CLIENT_PATHS = {
  'claude-desktop': {
    key: 'mcpServers',
    linux: '~/.config/Claude/claude_desktop_config.json',
    darwin: '~/Library/Application Support/Claude/claude_desktop_config.json',
    win32: '%APPDATA%\\Claude\\claude_desktop_config.json',
  },
  'claude-code': {
    key: 'mcpServers',
    linux: '~/.claude.json',
    darwin: '~/.claude.json',
    win32: '~\\.claude.json',
  },
  cursor: {
    key: 'mcpServers',
    linux: '~/.cursor/mcp.json',
    darwin: '~/.cursor/mcp.json',
    win32: '~\\.cursor\\mcp.json',
  },
  vscode: {
    key: 'servers',
    linux: '~/.config/Code/User/mcp.json',
    darwin: '~/Library/Application Support/Code/User/mcp.json',
    win32: '%APPDATA%\\Code\\User\\mcp.json',
  },
  windsurf: {
    key: 'mcpServers',
    linux: '~/.codeium/windsurf/mcp_config.json',
    darwin: '~/.codeium/windsurf/mcp_config.json',
    win32: '~\\.codeium\\windsurf\\mcp_config.json',
  },
  gemini: {
    key: 'mcpServers',
    linux: '~/.gemini/settings.json',
    darwin: '~/.gemini/settings.json',
    win32: '~\\.gemini\\settings.json',
  },
} as const satisfies Record<ClientName, { key: string } & Record<Platform, string>>;

/** The config file of `client` on this machine (Linux layout; macOS and Windows per the table). */
export const clientConfigPath = (
  client: ClientName,
  platform: Platform,
  home: string,
  appData = '',
): string => {
  const template: string = CLIENT_PATHS[client][platform];
  const [head, ...rest] = template.split(/[\\/]/);
  const base = head === '~' ? home : head === '%APPDATA%' ? appData : (head ?? '');
  return join(base, ...rest);
};
