import { lookup } from 'node:dns/promises';
import type { EgressErrorCode } from '../errors.js';
import { normalizeHost, toIpLiteral, type CompiledEgress, type EgressDecision } from './match.js';

/** Resolves a host name to addresses; injectable so tests never need real DNS. */
export type Resolver = (host: string) => Promise<string[]>;

/** The system resolver behind the config's fixed answers (`egress.resolve`). */
export const createResolver =
  (
    fixed: Readonly<Record<string, string>>,
    system: Resolver = async (host) => (await lookup(host, { all: true })).map((a) => a.address),
  ): Resolver =>
  async (host) => {
    const pinned = Object.hasOwn(fixed, host) ? fixed[host] : undefined;
    if (pinned !== undefined) return [pinned];
    const literal = toIpLiteral(host);
    if (literal !== undefined) return [literal];
    return system(host);
  };

export type Checked =
  | { ok: true; address: string }
  | { ok: false; code: EgressErrorCode; message: string; address?: string };

/**
 * Decides one destination: the host against the allowlist and ports, then every address it resolves
 * to. The allowed result names the one address to connect to.
 */
export const checkDestination = async (
  egress: CompiledEgress,
  resolve: Resolver,
  host: string,
  port: number,
): Promise<Checked> => {
  const byName: EgressDecision = egress.decideHost(host, port);
  if (!byName.ok) return byName;
  let addresses: string[];
  try {
    addresses = await resolve(normalizeHost(host));
  } catch {
    return { ok: false, code: 'EGRESS_DNS_FAILED', message: `cannot resolve ${host}` };
  }
  if (addresses.length === 0)
    return { ok: false, code: 'EGRESS_DNS_FAILED', message: `no address for ${host}` };
  // Every answer must pass: a mixed answer (one public, one private) is a rebinding attempt.
  for (const address of addresses) {
    const verdict = egress.decideAddress(host, address);
    if (!verdict.ok) return { ...verdict, address };
  }
  return { ok: true, address: addresses[0] as string };
};
