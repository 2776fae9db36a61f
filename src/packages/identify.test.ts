import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { ServerConfig } from '../config/schema.js';
import {
  identifyPackage,
  imageRepository,
  imageToRun,
  splitSpec,
  unpinnedReason,
} from './identify.js';

const server = (doc: Record<string, unknown>): ServerConfig => {
  const config = parseConfig({ servers: { s: doc } });
  const s = config.servers['s'];
  if (!s) throw new Error('no server');
  return s;
};
const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** npm package names, scoped or not, and exact versions. */
const name = fc
  .tuple(
    fc.boolean(),
    fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
    fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
  )
  .map(([scoped, scope, base]) => (scoped ? `@${scope}/${base}` : base));
const exact = fc
  .tuple(fc.nat(99), fc.nat(99), fc.nat(99), fc.option(fc.stringMatching(/^[a-z0-9]{1,6}$/)))
  .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre === null ? '' : `-${pre}`}`);

describe('when an npm spec is split', () => {
  it('splits off the version after the scope, and joins back to the spec', () =>
    fc.assert(
      fc.property(name, fc.option(fc.string({ maxLength: 8 })), (n, version) => {
        const spec = version === null ? n : `${n}@${version}`;
        const split = splitSpec(spec);
        expect(split.name).toBe(n);
        expect(split.version ?? null).toBe(version);
      }),
    ));
});

describe('when an npm spec is judged pinned or not', () => {
  it('[PKG-1] accepts one exact registry version, scoped or not', () =>
    fc.assert(
      fc.property(name, exact, (n, v) => {
        expect(unpinnedReason(`${n}@${v}`)).toBeUndefined();
      }),
    ));

  it.each([
    ['pkg', 'names no version'],
    ['@s/pkg', 'names no version'],
    ['pkg@', 'names no version'],
    ['pkg@latest', 'dist-tag or range'],
    ['pkg@^1.2.3', 'dist-tag or range'],
    ['pkg@1.2', 'dist-tag or range'],
    ['pkg@1.2.3 || 2', 'dist-tag or range'],
    ['@s/pkg@~1.0.0', 'dist-tag or range'],
    ['github:user/repo', 'git, URL or path'],
    ['user/repo', 'git, URL or path'],
    ['git+https://x.example/r.git', 'git, URL or path'],
    ['https://x.example/p.tgz', 'git, URL or path'],
    ['file:../p', 'git, URL or path'],
    ['./p', 'git, URL or path'],
    ['/abs/p', 'git, URL or path'],
  ])('[PKG-1] refuses %s: %s', (spec, why) => expect(unpinnedReason(spec)).toContain(why));
});

describe('when a server is identified', () => {
  it('finds the npx package after its flags, also behind -p and --', () => {
    expect(
      identifyPackage(server({ command: 'npx', args: ['-y', '@s/p@1.0.0', '--x'] }), '/w'),
    ).toEqual({
      kind: 'npx',
      name: '@s/p',
      spec: '@s/p@1.0.0',
      version: '1.0.0',
      unpinned: undefined,
    });
    expect(
      identifyPackage(server({ command: 'npx', args: ['-p', 'p@1', 'bin'] }), '/w'),
    ).toMatchObject({
      name: 'p',
      unpinned: expect.stringContaining('range') as string,
    });
    expect(
      identifyPackage(server({ command: 'npx', args: ['--', 'p@2.0.0'] }), '/w'),
    ).toMatchObject({
      spec: 'p@2.0.0',
    });
    expect(identifyPackage(server({ command: 'npx', args: ['-y'] }), '/w')).toMatchObject({
      unpinned: 'npx without a package',
    });
  });

  it('finds the installed package of a node script under node_modules, scoped or not', () => {
    expect(
      identifyPackage(server({ command: 'node', args: ['node_modules/@s/p/dist/index.js'] }), '/w'),
    ).toEqual({
      kind: 'node_modules',
      name: '@s/p',
      installPath: '/w/node_modules/@s/p',
      nodeModules: '/w/node_modules',
    });
    expect(
      identifyPackage(
        server({ command: 'node', args: ['--x', 'lib/node_modules/p/i.js'], cwd: 'app' }),
        '/w',
      ),
    ).toMatchObject({ kind: 'node_modules', name: 'p', installPath: '/w/app/lib/node_modules/p' });
  });

  it('takes any other script or command for a file', () => {
    expect(identifyPackage(server({ command: 'node', args: ['server.js'] }), '/w')).toEqual({
      kind: 'file',
      role: 'script',
      path: '/w/server.js',
    });
    expect(identifyPackage(server({ command: './bin/srv' }), '/w')).toEqual({
      kind: 'file',
      role: 'binary',
      path: '/w/bin/srv',
    });
    expect(identifyPackage(server({ command: 'uvx' }), '/w')).toMatchObject({ path: 'uvx' });
  });

  it('takes an HTTP server for a remote one', () => {
    expect(identifyPackage(server({ url: 'https://x.example/mcp' }), '/w')).toEqual({
      kind: 'remote',
      url: 'https://x.example/mcp',
    });
  });
});

describe('when a locked image is started', () => {
  it('[PKG-10] names its repository without tag or digest, a registry port kept', () => {
    expect(imageRepository(`ghcr.io/a/b:1.0@${DIGEST}`)).toBe('ghcr.io/a/b');
    expect(imageRepository('localhost:5000/img')).toBe('localhost:5000/img');
    expect(imageRepository('localhost:5000/img:2')).toBe('localhost:5000/img');
  });

  it('[PKG-10] runs the locked digest, never the tag', () => {
    expect(imageToRun('ghcr.io/a/b:1.0', { ref: `ghcr.io/a/b@${DIGEST}`, digest: DIGEST })).toEqual(
      {
        ok: true,
        image: `ghcr.io/a/b@${DIGEST}`,
      },
    );
  });

  it('[PKG-10] refuses another repository or another digest', () => {
    const locked = { ref: `ghcr.io/a/b@${DIGEST}`, digest: DIGEST };
    expect(imageToRun('ghcr.io/a/c:1.0', locked)).toMatchObject({ ok: false });
    expect(imageToRun(`ghcr.io/a/b@sha256:${'cd'.repeat(32)}`, locked)).toMatchObject({
      ok: false,
    });
  });

  it('[PKG-10] runs nothing but the locked digest, whatever is configured', () =>
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (configured) => {
        const run = imageToRun(configured, { ref: `ghcr.io/a/b@${DIGEST}`, digest: DIGEST });
        if (run.ok) expect(run.image).toBe(`ghcr.io/a/b@${DIGEST}`);
      }),
    ));
});

describe('when a server is launched by uvx or pipx', () => {
  it('[PKG-13] identifies one exact release as a managed PyPI package, with its console script', () => {
    expect(
      identifyPackage(
        server({ command: 'uvx', args: ['--from', 'tinymcp==1.0.0', 'tm', '-v'] }),
        '/srv',
      ),
    ).toEqual({
      kind: 'pypi',
      name: 'tinymcp',
      version: '1.0.0',
      spec: 'tinymcp==1.0.0',
      command: 'tm',
      launcher: 'uvx',
    });
  });

  it('[PKG-12] leaves any other PyPI launch a binary (refused or unmanaged at start)', () => {
    expect(identifyPackage(server({ command: 'uvx', args: ['tinymcp>=1'] }), '/srv')).toEqual({
      kind: 'file',
      role: 'binary',
      path: 'uvx',
    });
  });
});
