import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';
import { diffServers, fixedFieldChanges } from './reload.js';

const server = (extra: Record<string, unknown> = {}) => ({
  command: 'node',
  args: ['server.js'],
  tools: ['echo'],
  ...extra,
});
const config = (servers: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  parseConfig({ servers, ...extra });

describe('when a reload sorts the servers', () => {
  it('[OPS-1] keeps a server whose allowlists or namespace changed running, and restarts one whose process would start differently', () => {
    const running = config({ same: server(), lists: server(), env: server(), gone: server() });
    const next = config({
      same: server(),
      lists: server({
        tools: ['echo', 'add'],
        prompts: ['p'],
        resources: ['file:///x'],
        namespace: false,
      }),
      env: server({ env: { MODE: 'other' } }),
      added: server(),
    });
    expect(diffServers(running, next)).toEqual({
      added: ['added'],
      removed: ['gone'],
      changed: ['env'],
      unchanged: ['same', 'lists'],
    });
  });

  it('[OPS-1] restarts a server whose effective limits changed through the top-level defaults, not one with its own', () => {
    const running = config({ inherits: server(), own: server({ limits: { callTimeoutMs: 500 } }) });
    const next = config(
      { inherits: server(), own: server({ limits: { callTimeoutMs: 500 } }) },
      { limits: { callTimeoutMs: 900 } },
    );
    expect(diffServers(running, next)).toMatchObject({ changed: ['inherits'], unchanged: ['own'] });
  });

  it('[OPS-1] restarts a server whose locked package changed, so the new pin is checked before it runs again', () => {
    const c = config({ a: server(), b: server() });
    const lockPackage = (which: 'running' | 'next', id: string) =>
      id === 'a' && which === 'next' ? { integrity: 'new' } : { integrity: 'old' };
    expect(diffServers(c, c, lockPackage)).toMatchObject({ changed: ['a'], unchanged: ['b'] });
  });
});

describe('when a reload changes fields read once at start', () => {
  it('[OPS-2] names every one of http, audit and separator that differs, and nothing else', () => {
    const running = config({ a: server() });
    expect(
      fixedFieldChanges(
        running,
        config({ a: server({ tools: ['*'] }) }, { pageSize: 5, limits: { maxDepth: 8 } }),
      ),
    ).toEqual([]);
    const next = config(
      { a: server() },
      { separator: '.', http: { maxSessions: 3 }, audit: { path: 'elsewhere.db' } },
    );
    expect(fixedFieldChanges(running, next)).toEqual(['http', 'audit', 'separator']);
  });
});
