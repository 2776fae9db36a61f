import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { impliedWritable } from './writable.js';

const HOME = '/home/u';
/** Arguments biased towards flags and paths, `..`, `~` and the root. */
const arg = fc.oneof(
  fc.constantFrom(
    '--data-dir',
    '--memory-path',
    '--db',
    '-y',
    '@modelcontextprotocol/server-filesystem',
  ),
  fc.constantFrom('/', '/srv/data', '~', '~/notes', '../up', './here', '/a/../..', '/srv/../etc/'),
  fc.string({ maxLength: 10 }),
  fc
    .tuple(fc.constantFrom('--root=', '--file='), fc.string({ maxLength: 10 }))
    .map(([f, v]) => f + v),
);

describe('when writable paths are derived from arguments', () => {
  it('[INIT-3] never yields the root, a `..` segment or a relative path that climbs', () =>
    fc.assert(
      fc.property(
        fc.array(arg, { maxLength: 8 }),
        fc.dictionary(
          fc.constantFrom('DATA_DIR', 'DB_PATH', 'OTHER'),
          fc.string({ maxLength: 10 }),
        ),
        (args, env) => {
          for (const path of impliedWritable(args, env, HOME)) {
            expect(path).not.toBe('/');
            expect(path).not.toMatch(/(^|\/)\.\.(\/|$)/);
            expect(path.endsWith('/') && path !== '/').toBe(false);
          }
        },
      ),
    ));

  it('[INIT-3] takes folders, a file flag’s or variable’s folder and ~, nothing else', () => {
    expect(
      impliedWritable(
        ['-y', '@modelcontextprotocol/server-filesystem', '~/docs', '/srv/data/', '--read-only'],
        { MEMORY_FILE: '/var/m/memory.json', LOG_LEVEL: '/x' },
        HOME,
      ),
    ).toEqual(['/home/u/docs', '/srv/data', '/var/m']);
    expect(
      impliedWritable(['--memory-path', '/var/m/memory.json', 'serve', '/srv'], {}, HOME),
    ).toEqual(['/var/m']);
    expect(impliedWritable(['--root=../../etc'], {}, HOME)).toEqual([]);
  });
});
