import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { npxArguments, npxInvocation, pickBin } from './npx-args.js';

const word = fc.stringMatching(/^[a-z][a-z0-9.@/-]{0,12}$/);

describe('when an npx command line is read', () => {
  it('finds spec, bin and the rest in each form npx takes', () => {
    expect(npxInvocation(['-y', 'p@1.0.0', 'stdio'])).toEqual({
      ok: true,
      spec: 'p@1.0.0',
      binName: undefined,
      rest: ['stdio'],
    });
    expect(npxInvocation(['--package', 'p@1.0.0', 'cli', '-x'])).toMatchObject({
      spec: 'p@1.0.0',
      binName: 'cli',
      rest: ['-x'],
    });
    expect(npxInvocation(['--yes', '--package=p@1.0.0', '--', 'cli', 'a'])).toMatchObject({
      spec: 'p@1.0.0',
      binName: 'cli',
      rest: ['a'],
    });
    expect(npxInvocation(['--registry', 'https://r', '--', 'p@1.0.0', '--', 'a'])).toMatchObject({
      spec: 'p@1.0.0',
      rest: ['--', 'a'],
    });
    expect(npxInvocation(['-c', 'echo hi'])).toMatchObject({ ok: false });
    expect(npxInvocation(['-y'])).toMatchObject({ ok: false, reason: 'npx without a package' });
    expect(npxArguments('npm', ['exec', '--yes', 'p@1.0.0'])).toEqual(['--yes', 'p@1.0.0']);
    expect(npxArguments('npm', ['start'])).toBeUndefined();
    expect(npxArguments('node', ['x.js'])).toBeUndefined();
  });

  it('[PKG-11] gives back flags, spec and arguments as written, for any of them (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('-y', '--yes', '--no-install', '-q'), { maxLength: 3 }),
        word,
        fc.array(fc.oneof(word, fc.constant('--'), fc.constant('-x')), { maxLength: 5 }),
        (flags, spec, rest) => {
          expect(npxInvocation([...flags, spec, ...rest])).toEqual({
            ok: true,
            spec,
            binName: undefined,
            rest,
          });
        },
      ),
    );
  });
});

describe('when the bin to run is chosen', () => {
  it('takes the named, the only, or the package-named bin, and refuses one that leaves the package', () => {
    expect(pickBin({ bin: 'cli.js' }, '@s/p', undefined)).toEqual({ ok: true, path: 'cli.js' });
    expect(pickBin({ bin: { a: './a.js', p: 'p.js' } }, '@s/p', undefined)).toEqual({
      ok: true,
      path: 'p.js',
    });
    expect(pickBin({ bin: { a: 'a.js', b: 'b.js' } }, 'p', 'b')).toEqual({
      ok: true,
      path: 'b.js',
    });
    expect(pickBin({ bin: { a: 'a.js', b: 'b.js' } }, 'p', undefined)).toMatchObject({ ok: false });
    expect(pickBin({}, 'p', undefined)).toMatchObject({ ok: false });
    expect(pickBin({ bin: '../../etc/x' }, 'p', undefined)).toMatchObject({ ok: false });
    expect(pickBin({ bin: '/bin/sh' }, 'p', undefined)).toMatchObject({ ok: false });
  });
});
