import { ConfigSchema, isStdioServer } from '../config/schema.js';
import { identifyPackage } from '../packages/identify.js';
import { classifyValue, envNameFor, hasCredential, isSecretFlag } from './secrets.js';
import { impliedWritable } from './writable.js';

/** Where one secret of the written config must be supplied by the user. */
interface SecretNeeded {
  readonly server: string;
  /** The env var of the server, or `header NAME` of a remote server. */
  readonly target: string;
  /** The variable toolgate's environment must hold. */
  readonly env: string;
  readonly why: string;
}

export interface Conversion {
  /** The toolgate config document (validated by the caller with `ConfigSchema` before writing). */
  readonly config: { servers: Record<string, Record<string, unknown>> };
  readonly secrets: readonly SecretNeeded[];
  /** One line per thing the user must know or do, naming the server. */
  readonly notes: readonly string[];
  /** Servers whose npm spec `toolgate lock` will refuse until pinned. */
  readonly unpinned: readonly { server: string; reason: string }[];
}

type Entry = Record<string, unknown>;

const isRecord = (v: unknown): v is Entry =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
const stringRecord = (v: unknown): Record<string, string> =>
  isRecord(v)
    ? Object.fromEntries(
        Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'),
      )
    : {};

/** A client's server name as a toolgate server id (1-48 of a-z, 0-9, "-"), unique among `taken`. */
export const toServerId = (name: string, taken: ReadonlySet<string>): string => {
  const base =
    name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 44) || 'server';
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  return id;
};

/** The servers member of a client config: `mcpServers`, VS Code's `servers`, or its settings' `mcp.servers`. */
export const serversOf = (doc: unknown): Entry | undefined => {
  if (!isRecord(doc)) return undefined;
  if (isRecord(doc['mcpServers'])) return doc['mcpServers'];
  if (isRecord(doc['servers'])) return doc['servers'];
  const mcp = doc['mcp'];
  return isRecord(mcp) && isRecord(mcp['servers']) ? mcp['servers'] : undefined;
};

/**
 * Converts a client's MCP config into a toolgate config: every server (stdio and remote), each with an
 * empty allowlist (deny by default), sandbox defaults plus the writable paths its arguments imply, and
 * every credential moved to a `secrets:` / `secretHeaders:` source read from toolgate's environment,
 * never copied. Pure: the caller reads the client file and writes the result.
 * @example
 * convertClientConfig({ mcpServers: { memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] } } }, { home: '/home/me' })
 */
export const convertClientConfig = (doc: unknown, opts: { home: string }): Conversion => {
  // untrusted: a client config written by hand or by other tools; every member is checked before use.
  const entries = serversOf(doc);
  const servers: Record<string, Entry> = {};
  const secrets: SecretNeeded[] = [];
  const notes: string[] = [];
  const taken = new Set<string>();
  const names = new Set<string>(); // env names given to secrets copied in clear, one per value
  for (const [name, entry] of Object.entries(entries ?? {})) {
    const id = toServerId(name, taken);
    taken.add(id);
    const label = id === name ? `server ${id}` : `server ${id} (${name} in the client)`;
    if (!isRecord(entry)) {
      notes.push(`${label}: not an object in the client config; skipped`);
      continue;
    }
    if (entry['disabled'] === true || entry['enabled'] === false)
      notes.push(`${label}: disabled in the client; kept here (remove it if unwanted)`);
    const remoteUrl = [entry['url'], entry['serverUrl'], entry['httpUrl']].find(
      (u): u is string => typeof u === 'string',
    );
    if (typeof entry['command'] === 'string')
      servers[id] = stdioServer(id, label, entry, opts.home, secrets, notes, names);
    else if (remoteUrl !== undefined)
      servers[id] = remoteServer(id, label, entry, remoteUrl, secrets, notes, names);
    else notes.push(`${label}: neither a command nor a URL; skipped`);
  }
  const config = { servers };
  return { config, secrets, notes, unpinned: unpinnedOf(config) };
};

const stdioServer = (
  id: string,
  label: string,
  entry: Entry,
  home: string,
  secrets: SecretNeeded[],
  notes: string[],
  names: Set<string>,
): Entry => {
  const command = entry['command'] as string;
  const env: Record<string, string> = {};
  const serverSecrets: Record<string, { env: string }> = {};
  for (const [name, value] of Object.entries(stringRecord(entry['env']))) {
    const carried = classifyValue(name, value, false);
    if (carried.kind === 'plain') env[name] = value;
    else {
      const source = carried.ref ?? envNameFor(id, name, names);
      serverSecrets[name] = { env: source };
      secrets.push({ server: id, target: name, env: source, why: carried.why });
    }
  }
  const args = scrubArgs(label, strings(entry['args']), notes);
  const writable = impliedWritable(args, env, home);
  const server: Entry = { command, args };
  if (Object.keys(env).length > 0) server['env'] = env;
  if (typeof entry['cwd'] === 'string') server['cwd'] = entry['cwd'];
  if (Object.keys(serverSecrets).length > 0) server['secrets'] = serverSecrets;
  // The sandbox defaults (read-only host, no network, seccomp, rlimits) apply; only the paths it writes are added.
  server['sandbox'] = { writable };
  if (writable.length > 0) notes.push(`${label}: writable in its sandbox: ${writable.join(', ')}`);
  server['tools'] = [];
  return server;
};

/** Arguments with any credential replaced: an argument cannot reference a secret, so the value is dropped. */
const scrubArgs = (label: string, args: readonly string[], notes: string[]): string[] =>
  args.map((arg, i) => {
    const eq = arg.indexOf('=');
    const flagged = arg.startsWith('-') && eq > 0 && isSecretFlag(arg.slice(0, eq));
    const afterFlag = i > 0 && isSecretFlag(args[i - 1] as string) && !arg.startsWith('-');
    if (!flagged && !afterFlag && !hasCredential(arg) && !/\$\{[^}]+\}/.test(arg)) return arg;
    notes.push(
      `${label}: argument ${i + 1} held a credential (or a client-expanded reference); it was not copied. Pass it through an environment variable the server reads, under secrets:`,
    );
    return flagged ? `${arg.slice(0, eq + 1)}REMOVED-CREDENTIAL` : 'REMOVED-CREDENTIAL';
  });

const remoteServer = (
  id: string,
  label: string,
  entry: Entry,
  rawUrl: string,
  secrets: SecretNeeded[],
  notes: string[],
  names: Set<string>,
): Entry => {
  if (entry['type'] === 'sse')
    notes.push(
      `${label}: the client speaks SSE to it; toolgate speaks Streamable HTTP, check that the server offers it at this URL`,
    );
  const headers: Record<string, string> = {};
  const secretHeaders: Record<string, { env: string }> = {};
  for (const [name, value] of Object.entries(stringRecord(entry['headers']))) {
    const carried = classifyValue(name, value, true);
    if (carried.kind === 'plain') headers[name] = value;
    else {
      const source = carried.ref ?? envNameFor(id, name, names);
      secretHeaders[name] = { env: source };
      secrets.push({
        server: id,
        target: `header ${name}`,
        env: source,
        why: `${carried.why} (the variable holds the whole header value)`,
      });
    }
  }
  const server: Entry = { url: scrubUrl(label, rawUrl, notes) };
  if (Object.keys(headers).length > 0) server['headers'] = headers;
  if (Object.keys(secretHeaders).length > 0) server['secretHeaders'] = secretHeaders;
  server['tools'] = [];
  return server;
};

/** The URL without user info or credential-like query parameters (a URL cannot reference a secret). */
const scrubUrl = (label: string, raw: string, notes: string[]): string => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw; // the schema check reports it with its path
  }
  const dropped: string[] = [];
  if (url.username !== '' || url.password !== '') {
    url.username = '';
    url.password = '';
    dropped.push('user info');
  }
  for (const [key, value] of [...url.searchParams]) {
    if (/token|key|secret|auth|passw|sig/i.test(key) || hasCredential(value)) {
      url.searchParams.delete(key);
      dropped.push(`query parameter ${key}`);
    }
  }
  if (dropped.length === 0) return raw;
  notes.push(
    `${label}: the URL held credentials (${dropped.join(', ')}); they were not copied. Send them as a header under secretHeaders:`,
  );
  return url.toString();
};

/** Servers whose npm package spec `toolgate lock` refuses (it pins exact registry versions only). */
const unpinnedOf = (config: {
  servers: Record<string, Entry>;
}): { server: string; reason: string }[] => {
  const parsed = ConfigSchema.safeParse(config);
  if (!parsed.success) return [];
  return Object.entries(parsed.data.servers).flatMap(([server, s]) => {
    if (!isStdioServer(s)) return [];
    const source = identifyPackage(s, '/');
    return source.kind === 'npx' && source.unpinned !== undefined
      ? [{ server, reason: source.unpinned }]
      : [];
  });
};
