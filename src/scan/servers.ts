import { basename } from 'node:path';
import { ConfigSchema, isContainerServer, isStdioServer, type Config } from '../config/schema.js';
import { pointerOf, type ConfigKind, type ScanServer } from './types.js';

/** Keys only a toolgate config has at its top level; client configs have none of them. */
const TOOLGATE_KEYS = [
  'version',
  'separator',
  'pageSize',
  'lock',
  'limits',
  'http',
  'audit',
  'content',
];

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
const stringRecord = (v: unknown): Record<string, string> =>
  isRecord(v)
    ? Object.fromEntries(
        Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'),
      )
    : {};

/** A toolgate config has a key only toolgate's schema knows, or is YAML or named toolgate* without a client's `mcpServers`. */
const isToolgateDocument = (file: string, doc: unknown): boolean =>
  (isRecord(doc) && TOOLGATE_KEYS.some((k) => k in doc)) ||
  ((/\.ya?ml$/i.test(file) || /^toolgate/i.test(basename(file))) &&
    !(isRecord(doc) && 'mcpServers' in doc));

export type ReadServers =
  | { ok: true; kind: ConfigKind | 'none'; servers: ScanServer[]; config?: Config }
  | { ok: false; message: string };

/**
 * The servers a parsed config document declares.
 * // untrusted: a client config is whatever is on disk; every field is type-checked, unknown ones ignored.
 */
export const readServers = (file: string, doc: unknown): ReadServers => {
  if (isToolgateDocument(file, doc)) return readToolgate(file, doc);
  if (!isRecord(doc)) return { ok: false, message: 'not a JSON object' };
  const servers: ScanServer[] = [];
  let kind: ConfigKind | 'none' = 'none';
  const add = (entries: unknown, at: readonly string[], shape: ConfigKind): void => {
    if (!isRecord(entries)) return;
    kind = kind === 'none' ? shape : kind;
    for (const [name, entry] of Object.entries(entries))
      if (isRecord(entry))
        servers.push(fromClient(file, name, entry, pointerOf(...at, name), shape));
  };
  add(doc.mcpServers, ['mcpServers'], 'mcpServers'); // Claude Desktop, Claude Code, Cursor, Windsurf, Gemini CLI
  add(doc.servers, ['servers'], 'vscode-servers'); // VS Code .vscode/mcp.json
  if (isRecord(doc.mcp)) add(doc.mcp.servers, ['mcp', 'servers'], 'vscode-settings'); // VS Code settings.json
  if (isRecord(doc['mcp.servers'])) add(doc['mcp.servers'], ['mcp.servers'], 'vscode-settings');
  // Claude Code's ~/.claude.json keeps per-project servers under projects.<path>.mcpServers.
  if (isRecord(doc.projects))
    for (const [project, entry] of Object.entries(doc.projects))
      if (isRecord(entry))
        add(entry.mcpServers, ['projects', project, 'mcpServers'], 'claude-code-projects');
  return { ok: true, kind, servers };
};

const fromClient = (
  file: string,
  name: string,
  entry: Record<string, unknown>,
  pointer: string,
  source: ConfigKind,
): ScanServer => {
  const urlKey = ['url', 'serverUrl', 'httpUrl'].find((k) => typeof entry[k] === 'string');
  const command = typeof entry.command === 'string' ? entry.command : undefined;
  return {
    name,
    file,
    pointer,
    source,
    ...(command !== undefined && { command }),
    args: strings(entry.args),
    env: stringRecord(entry.env),
    ...(urlKey !== undefined && { url: entry[urlKey] as string, urlKey }),
    headers: stringRecord(entry.headers),
    // A client starts its servers as plain child processes with the user's rights.
    unsandboxed: command !== undefined,
  };
};

const readToolgate = (file: string, doc: unknown): ReadServers => {
  const parsed = ConfigSchema.safeParse(doc);
  if (!parsed.success)
    return {
      ok: false,
      message: `not a valid toolgate config (run a toolgate command on it for details): ${parsed.error.issues[0]?.message ?? ''}`,
    };
  const config = parsed.data;
  const servers = Object.entries(config.servers).map(([name, server]): ScanServer => {
    const common = {
      name,
      file,
      pointer: pointerOf('servers', name),
      source: 'toolgate' as const,
      allow: { tools: server.tools, prompts: server.prompts, resources: server.resources },
    };
    if (isStdioServer(server))
      return {
        ...common,
        command: server.command,
        args: server.args,
        env: server.env,
        headers: {},
        unsandboxed: server.sandbox === false,
      };
    if (isContainerServer(server))
      return {
        ...common,
        image: server.image,
        args: server.args,
        env: server.env,
        headers: {},
        unsandboxed: false,
      };
    return {
      ...common,
      url: server.url,
      urlKey: 'url',
      args: [],
      env: {},
      headers: server.headers,
      unsandboxed: false,
    };
  });
  return { ok: true, kind: 'toolgate', servers, config };
};
