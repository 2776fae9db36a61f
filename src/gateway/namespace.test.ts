import { describe, expect, it } from 'vitest';
import { createNamespace } from './namespace.js';

describe('namespace', () => {
  const ns = createNamespace('__', new Set(['alpha', 'beta-2']));

  it('[NS-1] round-trips names and URIs', () => {
    expect(ns.fromPublic(ns.toPublic('beta-2', 'read__file'))).toEqual({
      server: 'beta-2',
      name: 'read__file',
    });
    expect(ns.fromPublicUri(ns.toPublicUri('alpha', 'git+https://x/y'))).toEqual({
      server: 'alpha',
      uri: 'git+https://x/y',
    });
  });

  it('[NS-1] refuses names without a known prefix', () => {
    expect(() => ns.fromPublic('echo')).toThrow(
      expect.objectContaining({ code: 'ROUTE_BAD_NAME' }),
    );
    expect(() => ns.fromPublic('gamma__echo')).toThrow(
      expect.objectContaining({ code: 'ROUTE_UNKNOWN_SERVER' }),
    );
    expect(() => ns.fromPublic(7)).toThrow(expect.objectContaining({ code: 'ROUTE_BAD_NAME' }));
  });

  it('[NS-1] routes unprefixed names to the one server that opted out, and prefixed ones to their owner', () => {
    const mixed = createNamespace('__', new Set(['alpha', 'beta']), 'alpha');
    expect(mixed.toPublic('alpha', 'echo')).toBe('echo');
    expect(mixed.fromPublic('echo')).toEqual({ server: 'alpha', name: 'echo' });
    expect(mixed.fromPublic('beta__echo')).toEqual({ server: 'beta', name: 'echo' });
    expect(mixed.fromPublic('gamma__echo')).toEqual({ server: 'alpha', name: 'gamma__echo' });
    expect(mixed.fromPublicUri('test://x')).toEqual({ server: 'alpha', uri: 'test://x' });
  });
});
