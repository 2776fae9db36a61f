import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scriptGraph } from './script-graph.js';

/** A script server on disk: files by relative path. */
const tree = (files: Record<string, string>): string => {
  const root = mkdtempSync(join(tmpdir(), 'toolgate-graph-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
};

describe('when a script server is read for what it loads', () => {
  it('[PKG-9] follows every static import form, transitively, and pins imported packages whole', async () => {
    const root = tree({
      'srv/main.js': [
        "import { a } from './a.js';",
        "import './side';",
        "const b = await import('./lib/b.mjs');",
        "const c = require('./c.cjs');",
        "export { d } from './d/index.js';",
        "import data from './data.json' with { type: 'json' };",
        "import { readFile } from 'node:fs';",
        "import path from 'path';",
        "import dep from '@s/dep/sub/x.js';",
      ].join('\n'),
      'srv/a.js': "import './nested.js';",
      'srv/nested.js': '',
      'srv/side.js': '',
      'srv/lib/b.mjs': '',
      'srv/c.cjs': '',
      'srv/d/index.js': '',
      'srv/data.json': '{}',
      'node_modules/@s/dep/package.json': '{"name":"@s/dep"}',
      'node_modules/@s/dep/sub/x.js': '',
    });
    const graph = await scriptGraph(join(root, 'srv/main.js'));
    expect(Object.keys(graph.modules).sort()).toEqual(
      [
        'a.js',
        'c.cjs',
        'd/index.js',
        'data.json',
        'lib/b.mjs',
        'main.js',
        'nested.js',
        'side.js',
      ].map((p) => join(root, 'srv', p)),
    );
    expect(Object.keys(graph.packages)).toEqual([join(root, 'node_modules/@s/dep')]);
    for (const digest of [...Object.values(graph.modules), ...Object.values(graph.packages)])
      expect(digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('[PKG-9] follows a file: URL import, percent-encoded characters included', async () => {
    const root = tree({ 'my lib/x.js': '', 'srv/main.js': '' });
    const url = pathToFileURL(join(root, 'my lib/x.js')).href;
    writeFileSync(join(root, 'srv/main.js'), `import '${url}';`);
    const graph = await scriptGraph(join(root, 'srv/main.js'));
    expect(Object.keys(graph.modules)).toContain(join(root, 'my lib/x.js'));
  });

  it('[PKG-9] changes its digest when an imported module changes', async () => {
    const root = tree({ 'main.js': "import './a.js';", 'a.js': 'export const a = 1;' });
    const before = await scriptGraph(join(root, 'main.js'));
    writeFileSync(join(root, 'a.js'), 'export const a = 2;');
    const after = await scriptGraph(join(root, 'main.js'));
    expect(after.modules[join(root, 'a.js')]).not.toBe(before.modules[join(root, 'a.js')]);
    expect(after.modules[join(root, 'main.js')]).toBe(before.modules[join(root, 'main.js')]);
  });

  it('[PKG-9] refuses a graph past its cap instead of pinning part of it', async () => {
    const root = tree({
      'main.js': "import './a.js'; import './b.js';",
      'a.js': "import './c.js';",
      'b.js': '',
      'c.js': '',
    });
    await expect(scriptGraph(join(root, 'main.js'), 3)).rejects.toMatchObject({
      code: 'PACKAGE_GRAPH_TOO_LARGE',
    });
    expect(Object.keys((await scriptGraph(join(root, 'main.js'), 4)).modules)).toHaveLength(4);
  });
});
