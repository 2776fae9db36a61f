import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileEgress, isSpecialAddress, normalizeHost, toIpLiteral } from './match.js';
import { checkDestination, createResolver } from './destination.js';

/** Ranges whose every address the proxy refuses: loopback, private, CGNAT, link-local (metadata), "this network". */
const SPECIAL_V4: ReadonlyArray<readonly [number, number]> = [
  [0x7f000000, 8],
  [0x0a000000, 8],
  [0xac100000, 12],
  [0xc0a80000, 16],
  [0xa9fe0000, 16],
  [0x64400000, 10],
  [0x00000000, 8],
];
const specialV4 = fc
  .constantFrom(...SPECIAL_V4)
  .chain(([base, prefix]) =>
    fc.integer({ min: 0, max: 2 ** (32 - prefix) - 1 }).map((offset) => (base + offset) >>> 0),
  );
/** Public unicast addresses (a few well-known /8s outside every special range). */
const publicV4 = fc
  .constantFrom(8, 9, 13, 23, 34, 52, 93, 140, 151, 185)
  .chain((first) =>
    fc.integer({ min: 0, max: 2 ** 24 - 1 }).map((rest) => ((first << 24) + rest) >>> 0),
  );

const dotted = (n: number): string =>
  [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const hex16 = (n: number): [string, string] => [(n >>> 16).toString(16), (n & 0xffff).toString(16)];

/** One number in decimal, octal (leading 0) or hex (0x / 0X, any case). */
const numberSpelling = (value: number): fc.Arbitrary<string> =>
  fc.constantFrom('dec', 'oct', 'hex', 'HEX').map((radix) => {
    if (radix === 'dec') return String(value);
    if (radix === 'oct') return `0${value.toString(8)}`;
    return radix === 'hex' ? `0x${value.toString(16)}` : `0X${value.toString(16).toUpperCase()}`;
  });

/** Every IPv4 number form inet_aton and the URL standard read: a.b.c.d, a.b.c, a.b and a, each part in any radix. */
const v4Spelling = (n: number): fc.Arbitrary<string> =>
  fc
    .constantFrom(4, 3, 2, 1)
    .chain((parts) => {
      const bytes = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
      const values =
        parts === 4
          ? bytes
          : [...bytes.slice(0, parts - 1), (n & (2 ** (8 * (5 - parts)) - 1)) >>> 0];
      return fc.tuple(...values.map(numberSpelling)).map((spelled) => spelled.join('.'));
    })
    .chain((s) => fc.constantFrom(s, `${s}.`));

/** IPv6 spellings that carry an IPv4 address: mapped, compatible, translated, NAT64, in dotted or hex form. */
const v6Carrying = (n: number): fc.Arbitrary<string> => {
  const [hi, lo] = hex16(n);
  return fc
    .constantFrom(
      `::ffff:${dotted(n)}`,
      `::ffff:${hi}:${lo}`,
      `0:0:0:0:0:ffff:${dotted(n)}`,
      `0000:0000:0000:0000:0000:ffff:${hi}:${lo}`,
      `::${dotted(n)}`,
      `::${hi}:${lo}`,
      `::ffff:0:${dotted(n)}`,
      `64:ff9b::${dotted(n)}`,
      `64:ff9b::${hi}:${lo}`,
      `64:ff9b:1::${hi}:${lo}`,
      `2002:${hi}:${lo}::1`,
    )
    .chain((s) => fc.constantFrom(s, s.toUpperCase()));
};

/** Special IPv6 addresses: loopback, unspecified, link-local (with zone ids), unique-local, multicast, the AWS metadata address. */
const specialV6 = fc
  .oneof(
    fc.constantFrom(
      '::1',
      '::',
      '0:0:0:0:0:0:0:1',
      '0000:0000:0000:0000:0000:0000:0000:0001',
      'fd00:ec2::254',
      'FD00:EC2:0:0:0:0:0:254',
    ),
    fc
      .tuple(
        fc.constantFrom('fe80', 'fe9a', 'febf', 'fc00', 'fdff', 'ff02'),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 6 }),
      )
      .map(([head, rest]) => `${head}::${rest.map((g) => g.toString(16)).join(':')}`),
  )
  .chain((s) => fc.constantFrom(s, s.toUpperCase(), `${s}%eth0`, `${s}%25lo`));

const noDns = createResolver({}, () =>
  Promise.reject(new Error('an IP literal must never reach DNS')),
);
const egressFor = (allow: string[]) =>
  compileEgress({ allow, allowPrivate: [], ports: [443], resolve: {} });

describe('when a host spells an IP address (properties)', () => {
  it('[EGR-9] reads every IPv4 number form as the address the URL standard reads', () => {
    fc.assert(
      fc.property(
        fc.oneof(specialV4, publicV4).chain((n) => fc.tuple(fc.constant(n), v4Spelling(n))),
        ([n, spelling]) => {
          expect(toIpLiteral(spelling)).toBe(dotted(n));
          expect(toIpLiteral(spelling.toUpperCase())).toBe(dotted(n));
          // The plain-HTTP path parses absolute URIs with the URL standard: both paths agree.
          expect(new URL(`http://${spelling}/`).hostname).toBe(dotted(n));
        },
      ),
    );
  });

  it('[EGR-9] refuses every IPv4 spelling of a special address even when the allowlist names it, without asking DNS', async () => {
    await fc.assert(
      fc.asyncProperty(
        specialV4.chain((n) => fc.tuple(fc.constant(n), v4Spelling(n))),
        async ([n, spelling]) => {
          const verdict = await checkDestination(
            egressFor([normalizeHost(spelling)]),
            noDns,
            spelling,
            443,
          );
          expect(verdict).toMatchObject({
            ok: false,
            code: 'EGRESS_ADDRESS_DENIED',
            address: dotted(n),
          });
        },
      ),
    );
  });

  it('[EGR-9] connects an allowed public IPv4 spelling to the address it spells', async () => {
    await fc.assert(
      fc.asyncProperty(
        publicV4.chain((n) => fc.tuple(fc.constant(n), v4Spelling(n))),
        async ([n, spelling]) => {
          const verdict = await checkDestination(
            egressFor([normalizeHost(spelling)]),
            noDns,
            spelling.toUpperCase(),
            443,
          );
          expect(verdict).toEqual({ ok: true, address: dotted(n) });
        },
      ),
    );
  });

  it('[EGR-9] refuses every IPv6 form that carries a special IPv4 address', () => {
    fc.assert(
      fc.property(specialV4.chain(v6Carrying), (address) => {
        expect(isSpecialAddress(address)).toBe(true);
      }),
    );
  });

  it('[EGR-9] refuses special IPv6 addresses in any case, with zone ids, compressed or not', () => {
    fc.assert(
      fc.property(specialV6, (address) => {
        expect(isSpecialAddress(address)).toBe(true);
      }),
    );
  });

  it('[EGR-9] refuses an allowed name that resolves to any of those spellings, bracketed or not', async () => {
    const spelling = fc.oneof(specialV4.map(dotted), specialV4.chain(v6Carrying), specialV6);
    await fc.assert(
      fc.asyncProperty(spelling, fc.boolean(), async (address, bracketed) => {
        const answer = bracketed && address.includes(':') ? `[${address}]` : address;
        const resolve = createResolver({ 'api.example.com': answer });
        const verdict = await checkDestination(
          egressFor(['api.example.com']),
          resolve,
          'API.Example.com.',
          443,
        );
        expect(verdict).toMatchObject({ ok: false, code: 'EGRESS_ADDRESS_DENIED' });
      }),
    );
  });

  it('[EGR-9] keeps public IPv6 and dotted IPv4-mapped public addresses reachable', () => {
    fc.assert(
      fc.property(publicV4, (n) => {
        expect(isSpecialAddress(`::ffff:${dotted(n)}`)).toBe(false);
      }),
    );
    expect(isSpecialAddress('2606:4700::1111')).toBe(false);
  });

  it('[EGR-9] regression: the IPv4-compatible ::127.0.0.1 and NAT64 local-use 64:ff9b:1:: forms are refused', () => {
    for (const address of [
      '::127.0.0.1',
      '::7f00:1',
      '::a9fe:a9fe',
      '64:ff9b:1::a00:1',
      '::ffff:0:10.0.0.1',
    ])
      expect(isSpecialAddress(address)).toBe(true);
  });
});

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const domain = fc.array(label, { minLength: 2, maxLength: 4 }).map((labels) => labels.join('.'));

describe('when matching host names (properties)', () => {
  it('[EGR-3] decides a host the same in any case and with a trailing dot', () => {
    fc.assert(
      fc.property(domain, domain, fc.boolean(), (pattern, host, wildcard) => {
        const egress = egressFor([wildcard ? `*.${pattern}` : pattern]);
        const plain = egress.decideHost(host, 443).ok;
        expect(egress.decideHost(`${host.toUpperCase()}.`, 443).ok).toBe(plain);
      }),
    );
  });

  it('[EGR-3] an exact pattern matches only itself; *.domain only proper subdomains, never the apex or a look-alike', () => {
    fc.assert(
      fc.property(domain, label, (apex, sub) => {
        expect(egressFor([apex]).decideHost(apex, 443).ok).toBe(true);
        expect(egressFor([apex]).decideHost(`${sub}.${apex}`, 443).ok).toBe(false);
        const glob = egressFor([`*.${apex}`]);
        expect(glob.decideHost(`${sub}.${apex}`, 443).ok).toBe(true);
        expect(glob.decideHost(apex, 443).ok).toBe(false);
        expect(glob.decideHost(`${sub}${apex}`, 443).ok).toBe(false);
        expect(glob.decideHost(`${apex}.${sub}`, 443).ok).toBe(false);
      }),
    );
  });
});
