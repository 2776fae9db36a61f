import { describe, expect, it } from 'vitest';
import { nonRegistrySource, type SourceNode } from './npm-sources.js';

const node = (name: string, deps: Record<string, string> = {}, fields: Partial<SourceNode> = {}) =>
  ({
    name,
    isLink: false,
    resolved: `https://registry.npmjs.org/${name}/-/${name}-1.0.0.tgz`,
    integrity: 'sha512-x',
    edgesOut: new Map(Object.entries(deps).map(([n, spec]) => [n, { spec }])),
    ...fields,
  }) satisfies SourceNode;

describe('when an npm tree is checked for non-registry sources', () => {
  it('[PKG-17] takes versions, ranges, dist-tags and npm: aliases', () => {
    const deps = {
      a: '1.2.3',
      b: '^1 || >=2.0.0-rc.1 <3',
      c: 'latest',
      d: 'npm:@s/e@^2',
      f: '*',
      g: '~3.1.2',
      h: '',
    };
    expect(nonRegistrySource([node('pkg', deps), node('a')])).toBeUndefined();
  });

  it.each([
    ['file:/home/me/x'],
    ['file:../x'],
    ['link:../x'],
    ['../x'],
    ['/abs/x'],
    ['~/x'],
    ['git+https://github.com/u/r.git'],
    ['github:u/r'],
    ['u/r'],
    ['https://example.com/x.tgz'],
    ['npm:@s/e@file:../x'],
  ])('[PKG-17] refuses the dependency spec %s', (spec) => {
    expect(nonRegistrySource([node('pkg', { x: spec })])).toBe(`x@${spec} (required by pkg)`);
  });

  it('[PKG-17] refuses a linked node and one resolved outside a registry URL or without integrity', () => {
    expect(nonRegistrySource([node('x', {}, { isLink: true, resolved: 'file:../x' })])).toContain(
      'a link to file:../x',
    );
    expect(nonRegistrySource([node('x', {}, { resolved: 'git+ssh://h/r.git#abc' })])).toContain(
      'from git+ssh://h/r.git#abc',
    );
    expect(nonRegistrySource([node('x', {}, { integrity: null })])).toBeDefined();
  });
});
