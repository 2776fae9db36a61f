import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every security requirement id in docs/security-requirements.md must be cited by at least one test as `[ID]`. */
const root = join(import.meta.dirname, '..');
const ids = [
  ...readFileSync(join(root, 'docs/security-requirements.md'), 'utf8').matchAll(
    /^\|\s*([A-Z]+-\d+)\s*\|/gm,
  ),
].map((m) => m[1] as string);

const testFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory())
      return name === 'node_modules' || name === 'fixtures' ? [] : testFiles(path);
    return name.endsWith('.test.ts') && name !== 'requirements.test.ts' ? [path] : [];
  });

describe('security requirements', () => {
  const cited = new Set(
    [...testFiles(join(root, 'src')), ...testFiles(join(root, 'test'))].flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/\[([A-Z]+-\d+)\]/g)].map((m) => m[1]),
    ),
  );
  it('lists requirements', () => expect(ids.length).toBeGreaterThan(5));
  it.each(ids)('%s is cited by a test', (id) =>
    expect(cited.has(id), `no test cites [${id}]`).toBe(true),
  );
  it('cites no unknown id', () =>
    expect([...cited].filter((id) => !ids.includes(id as string))).toEqual([]));
});
