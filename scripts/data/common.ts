// Shared by the converters of scripts/data/: reading a fetched snapshot (a git directory without a
// work tree) at a pinned commit, and writing one source's items.jsonl in the format of
// data/detect/FORMAT.md, each line validated before it is written.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DetectItemSchema, type DetectItem } from '../../bench/data/format.js';

export const REPO = join(import.meta.dirname, '..', '..');
export const DATA = join(REPO, 'data', 'detect');

/** One file of a snapshot at a commit (`git show COMMIT:PATH`), as text. */
export const gitShow = (gitDir: string, commit: string, path: string): string =>
  execFileSync('git', ['--git-dir', gitDir, 'show', `${commit}:${path}`], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });

/** The paths under `prefix` at a commit. */
export const gitList = (gitDir: string, commit: string, prefix: string): string[] =>
  execFileSync('git', ['--git-dir', gitDir, 'ls-tree', '-r', '--name-only', commit, prefix], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter((line) => line !== '');

/** A stable number from a string: picks contexts and positions without randomness. */
export const stableIndex = (key: string, modulo: number): number =>
  createHash('sha256').update(key).digest().readUInt32BE(0) % modulo;

export const textOutput = (text: string) => ({ content: [{ type: 'text' as const, text }] });

/** The snapshot argument every converter takes: `--git DIR` (default: the fetched mirror). */
export const gitDirArgument = (fallback: string): string => {
  const at = process.argv.indexOf('--git');
  return at >= 0 && process.argv[at + 1] !== undefined
    ? (process.argv[at + 1] ?? fallback)
    : fallback;
};

/** Validates every item, refuses duplicate ids, writes data/detect/<source>/items.jsonl. */
export const writeSource = (source: string, items: readonly DetectItem[]): void => {
  const seen = new Set<string>();
  for (const item of items) {
    DetectItemSchema.parse(item);
    if (item.source !== source) throw new Error(`${item.id}: source ${item.source} in ${source}`);
    if (seen.has(item.id)) throw new Error(`duplicate id ${item.id}`);
    seen.add(item.id);
  }
  const dir = join(DATA, source);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'items.jsonl'), items.map((i) => JSON.stringify(i)).join('\n') + '\n');
  const attacks = items.filter((i) => i.label === 'attack').length;
  process.stderr.write(
    `${source}: ${items.length} items (${attacks} attack, ${items.length - attacks} benign)\n`,
  );
};
