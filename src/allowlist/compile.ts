import type { Config } from '../config/schema.js';

/** The kinds of item an allowlist covers. */
export type ItemKind = 'tool' | 'prompt' | 'resource';

export interface CompiledAllowlist {
  /** Whether `server` may expose item `name` of `kind`. Unknown servers allow nothing. */
  allows(server: string, kind: ItemKind, name: string): boolean;
  /** Whether `server` may send the server→client request `method`. */
  allowsServerRequest(server: string, method: string): boolean;
}

type Matcher = (name: string) => boolean;
const NOTHING: Matcher = () => false;
const EVERYTHING: Matcher = () => true;

const toMatcher = (list: readonly string[]): Matcher => {
  if (list.length === 0) return NOTHING;
  if (list.length === 1 && list[0] === '*') return EVERYTHING;
  const exact = new Set(list);
  return (name) => exact.has(name);
};

const SERVER_REQUEST_FLAG = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
} as const satisfies Record<string, 'sampling' | 'elicitation' | 'roots'>;

/**
 * Compiles the static per-server allowlists once, at load. Deny by default: an absent or empty list
 * allows nothing, and `*` must be written explicitly.
 * @example
 * const allowlist = compileAllowlist(config);
 * allowlist.allows('everything', 'tool', 'echo'); // true when listed
 */
export const compileAllowlist = (config: Config): CompiledAllowlist => {
  const servers = new Map(
    Object.entries(config.servers).map(([id, s]) => [
      id,
      {
        tool: toMatcher(s.tools),
        prompt: toMatcher(s.prompts),
        resource: toMatcher(s.resources),
        requests: s.allow,
      },
    ]),
  );
  return {
    allows: (server, kind, name) => servers.get(server)?.[kind](name) ?? false,
    allowsServerRequest: (server, method) => {
      const flag = Object.hasOwn(SERVER_REQUEST_FLAG, method)
        ? (SERVER_REQUEST_FLAG as Record<string, 'sampling' | 'elicitation' | 'roots'>)[method]
        : undefined;
      return flag !== undefined && (servers.get(server)?.requests[flag] ?? false);
    },
  };
};
