import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNamespace } from './namespace.js';

// The shapes the config accepts: ids of a-z, 0-9 and "-"; separators of 1-3 of "_", ".", ":", "/".
const serverId = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,7}$/);
const separator = fc.stringMatching(/^[_.:/]{1,3}$/);
const servers = fc.uniqueArray(serverId, { minLength: 1, maxLength: 5 });
/** Item names as servers send them, biased towards separators, "+" and other servers' prefixes. */
const itemName = (ids: readonly string[], sep: string) =>
  fc.oneof(
    fc.string({ maxLength: 20 }),
    fc
      .tuple(
        fc.constantFrom(...ids),
        fc.constantFrom(sep, '+', '_', '__'),
        fc.string({ maxLength: 10 }),
      )
      .map((p) => p.join('')),
  );

const setup = fc.tuple(servers, separator, fc.boolean()).map(([ids, sep, optOut]) => ({
  ids,
  sep,
  unprefixed: optOut ? ids[0] : undefined,
  ns: createNamespace(sep, new Set(ids), optOut ? ids[0] : undefined),
}));

const routedOrRefused = (f: () => { server: string }): string | undefined => {
  try {
    return f().server;
  } catch (error) {
    expect((error as { code?: string }).code).toMatch(/^ROUTE_(BAD_NAME|UNKNOWN_SERVER)$/);
    return undefined;
  }
};

describe('when routing public names (properties)', () => {
  it('[NS-1] round-trips every name and URI of a prefixed server', () => {
    fc.assert(
      fc.property(
        setup.chain((s) =>
          fc.tuple(fc.constant(s), fc.constantFrom(...s.ids), itemName(s.ids, s.sep)),
        ),
        ([{ ns, unprefixed }, server, name]) => {
          fc.pre(server !== unprefixed);
          expect(ns.fromPublic(ns.toPublic(server, name))).toEqual({ server, name });
          expect(ns.fromPublicUri(ns.toPublicUri(server, name))).toEqual({ server, uri: name });
          expect(ns.routesTo(server, ns.toPublic(server, name), 'name')).toBe(true);
        },
      ),
    );
  });

  it('[NS-1] never routes a name to a prefixed server it does not start with', () => {
    fc.assert(
      fc.property(
        setup.chain((s) => fc.tuple(fc.constant(s), itemName(s.ids, s.sep))),
        ([{ ns, sep, unprefixed }, value]) => {
          const byName = routedOrRefused(() => ns.fromPublic(value));
          if (byName !== undefined && byName !== unprefixed)
            expect(value.startsWith(`${byName}${sep}`)).toBe(true);
          const byUri = routedOrRefused(() => ns.fromPublicUri(value));
          if (byUri !== undefined && byUri !== unprefixed)
            expect(value.startsWith(`${byUri}+`)).toBe(true);
          // Without an unprefixed server, a name with no known prefix goes nowhere.
          if (unprefixed === undefined && byName === undefined)
            expect(() => ns.fromPublic(value)).toThrow();
        },
      ),
    );
  });

  it("[NS-3] an unprefixed server's name routes back to it exactly when routesTo says so", () => {
    fc.assert(
      fc.property(
        setup
          .filter((s) => s.unprefixed !== undefined)
          .chain((s) => fc.tuple(fc.constant(s), itemName(s.ids, s.sep))),
        ([{ ns, unprefixed }, name]) => {
          const server = unprefixed as string;
          const routes = ns.routesTo(server, ns.toPublic(server, name), 'name');
          expect(routes).toBe(ns.fromPublic(ns.toPublic(server, name)).server === server);
          if (routes) expect(ns.fromPublic(ns.toPublic(server, name))).toEqual({ server, name });
        },
      ),
    );
  });

  it('[NS-3] regression: an unprefixed server\'s "beta__echo" is not its own', () => {
    const ns = createNamespace('__', new Set(['alpha', 'beta']), 'alpha');
    expect(ns.routesTo('alpha', 'beta__echo', 'name')).toBe(false);
    expect(ns.routesTo('alpha', 'beta+file:///x', 'uri')).toBe(false);
    expect(ns.routesTo('alpha', 'echo', 'name')).toBe(true);
  });
});
