import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DetectItemSchema,
  duplicateIds,
  forbiddenMarkerIn,
  readSource,
  sourcesIn,
  type DetectItem,
} from '../bench/data/format.js';

const ROOT = join(import.meta.dirname, '..', 'data', 'detect');
const sources = sourcesIn(ROOT);
const all: DetectItem[] = sources.flatMap((source) => readSource(ROOT, source));

describe('when reading the labelled detection data', () => {
  it('finds the committed benign corpus of npm servers', () => {
    expect(sources).toContain('npm-mcp-servers');
    const npm = all.filter((item) => item.source === 'npm-mcp-servers');
    expect(npm.filter((item) => item.surface === 'definition').length).toBeGreaterThanOrEqual(500);
    const packages = new Set(npm.map((item) => item.meta?.['package']));
    expect(packages.size).toBeGreaterThanOrEqual(40);
  });

  it.each(sources)('validates every line of %s and documents the source', (source) => {
    expect(readSource(ROOT, source).length).toBeGreaterThan(0); // throws on the first invalid line
    expect(existsSync(join(ROOT, source, 'SOURCE.md'))).toBe(true);
  });

  it('keeps ids unique across all sources', () => {
    expect(duplicateIds(all)).toEqual([]);
  });

  it('holds no line from the external yardstick (MCP-SafetyBench, Invariant Labs examples)', () => {
    for (const source of sources) {
      const text = readFileSync(join(ROOT, source, 'items.jsonl'), 'utf8');
      const hits = text
        .split('\n')
        .map((line, n) => [n + 1, forbiddenMarkerIn(line)] as const)
        .filter(([, marker]) => marker !== undefined);
      expect({ source, hits }).toEqual({ source, hits: [] });
      expect(forbiddenMarkerIn(readFileSync(join(ROOT, source, 'SOURCE.md'), 'utf8'))).toBe(
        undefined,
      );
    }
  });
});

describe('when a line breaks the format', () => {
  const good = {
    id: 'x-1',
    source: 'x',
    surface: 'definition',
    label: 'attack',
    class: 'beacon',
    item: { name: 'add', description: 'Adds.', inputSchema: { type: 'object' } },
  };

  it('accepts a well-formed line', () => {
    expect(DetectItemSchema.safeParse(good).success).toBe(true);
  });

  it.each([
    ['an unknown surface', { ...good, surface: 'banner' }],
    ['an unknown label', { ...good, label: 'malicious' }],
    ['an unknown class', { ...good, class: 'evil' }],
    ['a benign line with a class', { ...good, label: 'benign' }],
    ['a definition without a name', { ...good, item: { description: 'x' } }],
    ['an output without content', { ...good, surface: 'output', item: { content: [] } }],
    ['an extra top-level field', { ...good, note: 'x' }],
    ['a source with capitals', { ...good, source: 'MSB' }],
  ])('rejects %s', (_, line) => {
    expect(DetectItemSchema.safeParse(line).success).toBe(false);
  });

  it('reports an id used twice, and a forbidden provenance', () => {
    expect(duplicateIds([{ id: 'a' }, { id: 'b' }, { id: 'a' }])).toEqual(['a']);
    expect(forbiddenMarkerIn('{"meta":{"repo":"invariantlabs-ai/x"}}')).toBe('invariantlabs');
    expect(forbiddenMarkerIn('{"meta":{"repo":"microsoft/BIPIA"}}')).toBe(undefined);
  });
});
