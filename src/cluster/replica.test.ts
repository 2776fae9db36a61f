import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mintSessionId, replicaName } from './replica.js';

describe('replica names and session ids', () => {
  it('[CLU-6] a replica name is always one DNS label, whatever TOOLGATE_REPLICA or the host name hold', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ maxLength: 100 })),
        fc.string({ maxLength: 100 }),
        (env, host) => {
          expect(replicaName(env ?? undefined, host)).toMatch(
            /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
          );
        },
      ),
    );
    expect(replicaName('10.1.2.3', 'pod')).toBe('10-1-2-3');
    expect(replicaName(undefined, 'Toolgate-7f9c')).toBe('toolgate-7f9c');
    expect(replicaName('', '')).toBe('toolgate');
  });

  it('[CLU-6] a session id names its replica before an unguessable part, in visible ASCII', () => {
    const [a, b] = [mintSessionId('10-1-2-3'), mintSessionId('10-1-2-3')];
    expect(a).toMatch(
      /^10-1-2-3\.[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(a).not.toBe(b);
  });
});
