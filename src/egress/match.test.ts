import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { compileEgress, isSpecialAddress } from './match.js';

const withEgress = (allow: string[]) => () =>
  parseConfig({ servers: { s: { command: 'node', egress: { allow } } } });
const egress = (allow: string[], allowPrivate: string[] = []) =>
  compileEgress({ allow, allowPrivate, ports: [443], resolve: {} });

describe('when loading egress allowlists', () => {
  it.each([
    ['*'],
    ['*.com'],
    ['*.co'],
    ['api.*.com'],
    ['*example.com'],
    ['Example.com'],
    ['http://x.com'],
    ['x.com/path'],
  ])('[EGR-7] rejects the over-broad or malformed pattern %s at config load', (pattern) =>
    expect(withEgress([pattern])).toThrow(/over-broad|host name/),
  );
  it('[EGR-7] accepts exact names and explicit *.domain globs', () => {
    expect(withEgress(['api.github.com', '*.githubusercontent.com'])).not.toThrow();
  });
});

describe('when deciding egress', () => {
  it('[EGR-3] denies everything with an empty allowlist', () => {
    expect(egress([]).decideHost('example.com', 443)).toMatchObject({
      ok: false,
      code: 'EGRESS_HOST_DENIED',
    });
  });
  it('[EGR-3] matches exactly, or *.domain on subdomains only (not the apex, not look-alikes)', () => {
    const e = egress(['api.github.com', '*.example.com']);
    expect(e.decideHost('API.github.com.', 443)).toEqual({ ok: true });
    expect(e.decideHost('a.b.example.com', 443)).toEqual({ ok: true });
    expect(e.decideHost('example.com', 443)).toMatchObject({ ok: false });
    expect(e.decideHost('evilexample.com', 443)).toMatchObject({ ok: false });
    expect(e.decideHost('api.github.com.evil.net', 443)).toMatchObject({ ok: false });
    expect(e.decideHost('api.github.com', 80)).toMatchObject({
      ok: false,
      code: 'EGRESS_PORT_DENIED',
    });
  });
  it.each([
    '127.0.0.1',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fe80::1',
    'fd00::1',
    'fd00:ec2::254',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:7f00:1',
    'not-an-ip',
  ])('[EGR-4] treats %s as special', (address) => expect(isSpecialAddress(address)).toBe(true));
  it.each(['93.184.216.34', '140.82.112.3', '2606:4700::1111', '::ffff:8.8.8.8'])(
    '[EGR-4] treats %s as public',
    (address) => expect(isSpecialAddress(address)).toBe(false),
  );
  it('[EGR-4] lets a private address through only for a host in allowPrivate', () => {
    const e = egress(['intranet.example.com', 'api.example.com'], ['intranet.example.com']);
    expect(e.decideAddress('intranet.example.com', '10.0.0.8')).toEqual({ ok: true });
    expect(e.decideAddress('api.example.com', '10.0.0.8')).toMatchObject({
      ok: false,
      code: 'EGRESS_ADDRESS_DENIED',
    });
  });
});
