import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toJsonSchema } from '../src/config/schema.js';
import type { ErrorCode } from '../src/errors.js';

const root = join(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** Every property name anywhere in the JSON Schema. */
const propertyNames = (schema: unknown, out = new Set<string>()): Set<string> => {
  if (Array.isArray(schema)) for (const s of schema) propertyNames(s, out);
  else if (schema && typeof schema === 'object') {
    for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
      if (key === 'properties' && value && typeof value === 'object')
        for (const name of Object.keys(value)) out.add(name);
      propertyNames(value, out);
    }
  }
  return out;
};

describe('documentation', () => {
  it('documents every config key', () => {
    const doc = read('docs/configuration.md');
    const missing = [...propertyNames(toJsonSchema())].filter(
      (k) => k !== '$schema' && !doc.includes(`\`${k}`) && !doc.includes(`.${k}\``),
    );
    expect(missing).toEqual([]);
  });

  it('documents every error code', () => {
    const declared = [...read('src/errors.ts').matchAll(/'([A-Z]+_[A-Z_0-9]+)'/g)].map(
      (m) => m[1] as ErrorCode,
    );
    const doc = read('docs/errors.md');
    expect(declared.length).toBeGreaterThan(20);
    expect(declared.filter((code) => !doc.includes(`\`${code}\``))).toEqual([]);
  });

  it('keeps the version in step with package.json', async () => {
    const { VERSION } = await import('../src/version.js');
    expect(VERSION).toBe((JSON.parse(read('package.json')) as { version: string }).version);
  });
});
