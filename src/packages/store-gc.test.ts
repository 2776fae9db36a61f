import { describe, expect, it } from 'vitest';
import { referencedEntries } from './store-gc.js';

const TREE = 'a'.repeat(64);

describe('when the store is collected', () => {
  it('[PKG-13] keeps the entry of a locked uvx/pipx server, named by its wheels and tree', () => {
    const pypi = {
      kind: 'pypi' as const,
      name: 'tinymcp',
      version: '1.0.0',
      spec: 'tinymcp==1.0.0',
      command: 'tinymcp',
      python: '/usr/bin/python3.11',
      distributions: { 'tinymcp-1.0.0-py3-none-any.whl': 'b'.repeat(64) },
      tree: TREE,
    };
    const [name] = [...referencedEntries([pypi])];
    expect(name).toMatch(/^pypi\+tinymcp@1\.0\.0-[0-9a-f]{16}-aaaaaaaaaaaaaaaa$/);
    // Another wheel hash is another entry: a changed release never reuses a locked one.
    const other = { ...pypi, distributions: { 'tinymcp-1.0.0-py3-none-any.whl': 'c'.repeat(64) } };
    expect([...referencedEntries([other])][0]).not.toBe(name);
    // Not installed yet (no tree): nothing to keep.
    expect(referencedEntries([{ ...pypi, tree: undefined }]).size).toBe(0);
  });
});
