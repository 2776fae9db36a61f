import { RouteError } from '../errors.js';
import type { Config } from '../config/schema.js';

/**
 * Public names: `server<sep>name` for tools and prompts, `server+uri` for resources (a `+` keeps the
 * result a valid URI scheme). Server ids never contain the separator or `+`, so the first
 * occurrence splits unambiguously and names stay stable when servers are added. One server may opt
 * out (`namespace: false`, e.g. a single-server deployment): its names pass as they are, and a name
 * with another server's prefix still goes to that server (so such a name of its own is never listed).
 */
export interface Namespace {
  toPublic(server: string, name: string): string;
  fromPublic(name: unknown): { server: string; name: string };
  toPublicUri(server: string, uri: string): string;
  fromPublicUri(uri: unknown): { server: string; uri: string };
  /**
   * Whether a public name (`name`) or URI (`uri`) routes back to `server`. False for a name of the
   * unprefixed server that carries another server's prefix: listed, it would be taken for that server's (NS-3).
   */
  routesTo(server: string, value: string, kind: 'name' | 'uri'): boolean;
}

export const createNamespace = (
  separator: string,
  servers: ReadonlySet<string>,
  unprefixed?: string,
): Namespace => {
  const split = (value: unknown, sep: string, what: string): [string, string] => {
    // untrusted: the client chooses the name.
    if (typeof value !== 'string')
      throw new RouteError('ROUTE_BAD_NAME', `${what} must be a string`);
    const at = value.indexOf(sep);
    const server = at > 0 ? value.slice(0, at) : undefined;
    if (server !== undefined && servers.has(server) && server !== unprefixed)
      return [server, value.slice(at + sep.length)];
    // With one unprefixed server (namespace: false), every name no other server claims is its own.
    if (unprefixed !== undefined) return [unprefixed, value];
    if (server === undefined)
      throw new RouteError(
        'ROUTE_BAD_NAME',
        `${what} "${value.slice(0, 200)}" has no server prefix`,
      );
    throw new RouteError(
      'ROUTE_UNKNOWN_SERVER',
      `${what} "${value.slice(0, 200)}" names no configured server`,
    );
  };
  return {
    toPublic: (server, name) => (server === unprefixed ? name : `${server}${separator}${name}`),
    fromPublic: (value) => {
      const [server, name] = split(value, separator, 'name');
      return { server, name };
    },
    toPublicUri: (server, uri) => (server === unprefixed ? uri : `${server}+${uri}`),
    fromPublicUri: (value) => {
      const [server, uri] = split(value, '+', 'uri');
      return { server, uri };
    },
    routesTo: (server, value, kind) => {
      try {
        return split(value, kind === 'name' ? separator : '+', kind)[0] === server;
      } catch {
        return false;
      }
    },
  };
};

/** The public names of a config's servers: also what `toolgate tools` prints, so the two never disagree. */
export const namespaceOf = (config: Config): Namespace => {
  const unprefixed = Object.entries(config.servers).find(([, s]) => !s.namespace)?.[0];
  return createNamespace(config.separator, new Set(Object.keys(config.servers)), unprefixed);
};
