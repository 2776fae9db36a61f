import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { AuditStore, Durability, StoredEntry } from './store.js';

/**
 * An append-only JSONL file: each entry's canonical JSON on its own line, checkpoints inline as
 * `{"checkpoint":"<signed note>"}`. Each line is one write(2) on an O_APPEND descriptor, so a killed
 * process leaves whole lines; `full` adds an fsync per line. The same format is what
 * `toolgate audit export --format jsonl` prints, so an export verifies like a live log.
 */
export const openJsonlStore = (path: string, durability: Durability, readonly = false): AuditStore => {
  const fd = readonly ? undefined : openSync(path, 'a', 0o640);
  const write = (line: string) => {
    if (fd === undefined) throw new Error('read-only store');
    writeSync(fd, line + '\n');
    if (durability === 'full') fsyncSync(fd);
  };
  const parsed = () => parseJsonl(fd !== undefined && !fstatSync(fd).isFile() ? '' : readFileSync(path, 'utf8'));
  return {
    location: path,
    append: (entry) => write(entry.body),
    appendCheckpoint: (_size, note) => write(JSON.stringify({ checkpoint: note })),
    entries: () => parsed().entries,
    checkpoints: () => parsed().checkpoints,
    close: () => fd !== undefined && closeSync(fd),
  };
};

/** Splits a JSONL log into entries (numbered by position) and checkpoints. // untrusted: file content. */
export const parseJsonl = (text: string): { entries: StoredEntry[]; checkpoints: string[] } => {
  const entries: StoredEntry[] = [];
  const checkpoints: string[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    if (line.startsWith('{"checkpoint":')) {
      try {
        const value = (JSON.parse(line) as { checkpoint?: unknown }).checkpoint;
        if (typeof value === 'string') {
          checkpoints.push(value);
          continue;
        }
      } catch {
        // falls through: kept as an entry, which verify then reports
      }
    }
    entries.push({ seq: entries.length, body: line });
  }
  return { entries, checkpoints };
};
