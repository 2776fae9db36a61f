import { isDeepStrictEqual } from 'node:util';
import { limitsOf, type Config, type ServerConfig } from './schema.js';

/**
 * Top-level fields read once at start (the listen socket's Host/Origin gates and session caps, the
 * audit store, its keys and witness, the public names' separator, who the agents are and how they
 * authenticate): a reload that changes one is
 * refused as a whole, so the running gateway never mixes two configs.
 */
const FIXED_AT_START = [
  'http',
  'audit',
  'separator',
  'auth',
  'agents',
] as const satisfies readonly (keyof Config)[];

/** The fixed fields that differ between the running config and the new one (empty: the reload may proceed). */
export const fixedFieldChanges = (running: Config, next: Config): string[] =>
  FIXED_AT_START.filter((field) => !isDeepStrictEqual(running[field], next[field]));

/**
 * Fields of a server that only the chain and the gateway's routing read: a change to them switches
 * with the chain and leaves the server process running.
 */
const CHAIN_ONLY = new Set<string>(['tools', 'prompts', 'resources', 'namespace', 'labels']);

/** What the running upstream was started with: its config minus the chain-only fields, its effective limits, its locked package. */
const startedWith = (config: Config, id: string, lockPackage: unknown): unknown => {
  const server = config.servers[id] as ServerConfig;
  return {
    server: Object.fromEntries(Object.entries(server).filter(([key]) => !CHAIN_ONLY.has(key))),
    limits: limitsOf(config, server),
    package: lockPackage,
  };
};

export interface ServerDiff {
  readonly added: string[];
  readonly removed: string[];
  /** Restarted: what the process was started with differs (command, env, sandbox, limits, locked package, …). */
  readonly changed: string[];
  /** Left running, with their calls in flight; their allowlists and pins switch with the chain. */
  readonly unchanged: string[];
}

/**
 * Sorts the servers of a reload. `lockPackage(which, id)` is a server's locked package identity in the
 * running (`'running'`) or the new (`'next'`) lock: a re-approved package must be checked again before
 * the server runs on it, so it counts as a change.
 */
export const diffServers = (
  running: Config,
  next: Config,
  lockPackage: (which: 'running' | 'next', id: string) => unknown = () => undefined,
): ServerDiff => {
  const before = Object.keys(running.servers);
  const after = Object.keys(next.servers);
  const kept = after.filter((id) => Object.hasOwn(running.servers, id));
  const same = (id: string) =>
    isDeepStrictEqual(
      startedWith(running, id, lockPackage('running', id)),
      startedWith(next, id, lockPackage('next', id)),
    );
  return {
    added: after.filter((id) => !Object.hasOwn(running.servers, id)),
    removed: before.filter((id) => !Object.hasOwn(next.servers, id)),
    changed: kept.filter((id) => !same(id)),
    unchanged: kept.filter(same),
  };
};
