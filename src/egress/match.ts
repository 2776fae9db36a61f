import { BlockList, isIP } from 'node:net';
import type { EgressConfig } from '../config/schema.js';
import type { EgressErrorCode } from '../errors.js';

export type EgressDecision = { ok: true } | { ok: false; code: EgressErrorCode; message: string };

/** Addresses a server must not reach unless its host is in `allowPrivate`: loopback, private, link-local, metadata, special. */
const SPECIAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  SPECIAL.addSubnet(net, prefix, 'ipv4');
// ::/96 holds ::, ::1 and the IPv4-compatible ::a.b.c.d; ::ffff:0:0:0/96 (SIIT), NAT64 (64:ff9b::/96,
// 64:ff9b:1::/48), 6to4 (2002::/16) and Teredo (2001::/32) carry an IPv4 address a relay may reach.
for (const [net, prefix] of [
  ['::', 96],
  ['::ffff:0:0:0', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 32],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['fd00:ec2::254', 128],
] as const)
  SPECIAL.addSubnet(net, prefix, 'ipv6');

const MAPPED = new BlockList();
MAPPED.addSubnet('::ffff:0:0', 96, 'ipv6');

/** True for an address the proxy refuses by default (cloud metadata 169.254.169.254 and fd00:ec2::254 included). */
export const isSpecialAddress = (address: string): boolean => {
  const family = isIP(address);
  if (family === 0) return true;
  // An IPv4-mapped IPv6 address is judged as the IPv4 address it carries; in hex form, refused.
  if (family === 6 && MAPPED.check(address, 'ipv6')) {
    const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    return dotted?.[1] ? SPECIAL.check(dotted[1], 'ipv4') : true;
  }
  return SPECIAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
};

/** Only digits, hex digits, `x` and dots: a candidate for the IPv4 number forms (`127.1`, `0x7f.0.0.1`, `2130706433`). */
const IPV4_NUMBERS = /^[0-9a-fx.]+$/i;

/**
 * The canonical address of an IP-literal host in any spelling the URL standard and `inet_aton`
 * accept (decimal, octal, hex, short forms like `127.1`, brackets, upper case, a trailing dot),
 * else `undefined` (a name). Such a host is judged as the address it spells, never sent to DNS.
 */
export const toIpLiteral = (rawHost: string): string | undefined => {
  const host = normalizeHost(rawHost);
  if (isIP(host) !== 0) return host;
  if (!IPV4_NUMBERS.test(host)) return undefined;
  try {
    // untrusted: the server names the host; the WHATWG host parser reads every IPv4 number form.
    const parsed = new URL(`http://${host}/`).hostname;
    return isIP(parsed) === 4 ? parsed : undefined;
  } catch {
    return undefined;
  }
};

const matches = (pattern: string, host: string): boolean =>
  pattern.startsWith('*.')
    ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1
    : pattern === host;

/** Host names are compared lower-case, without a trailing dot. */
export const normalizeHost = (host: string): string =>
  host
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^\[(.*)\]$/, '$1');

export interface CompiledEgress {
  decideHost(host: string, port: number): EgressDecision;
  decideAddress(host: string, address: string): EgressDecision;
}

/** Compiles a server's egress config once; decisions are pure. An empty allowlist denies everything. */
export const compileEgress = (config: EgressConfig): CompiledEgress => ({
  decideHost(rawHost, port) {
    const host = normalizeHost(rawHost);
    if (!config.allow.some((p) => matches(p, host)))
      return {
        ok: false,
        code: 'EGRESS_HOST_DENIED',
        message: `host ${host} is not on the egress allowlist`,
      };
    if (!config.ports.includes(port))
      return { ok: false, code: 'EGRESS_PORT_DENIED', message: `port ${port} is not allowed` };
    return { ok: true };
  },
  decideAddress(rawHost, address) {
    const host = normalizeHost(rawHost);
    if (!isSpecialAddress(address) || config.allowPrivate.some((p) => matches(p, host)))
      return { ok: true };
    return {
      ok: false,
      code: 'EGRESS_ADDRESS_DENIED',
      message: `${host} resolves to ${address}, a loopback/private/link-local/metadata address`,
    };
  },
});
