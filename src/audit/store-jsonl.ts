import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
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
    eachEntry: () => (fd !== undefined && !fstatSync(fd).isFile() ? [] : streamEntries(path)),
    checkpoints: () => parsed().checkpoints,
    close: () => fd !== undefined && closeSync(fd),
  };
};

const CHUNK = 1 << 16;

/**
 * The entries of a JSONL log, read in 64 KiB chunks: numbered and classified as `parseJsonl` does,
 * holding one chunk and one partial line at a time. // untrusted: file content.
 */
function* streamEntries(path: string): Generator<StoredEntry> {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.alloc(CHUNK);
    let rest = Buffer.alloc(0);
    let seq = 0;
    const lines = function* (text: Buffer): Generator<StoredEntry> {
      for (const entry of parseJsonl(text.toString('utf8')).entries) yield { seq: seq++, body: entry.body };
    };
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) {
      const data = Buffer.concat([rest, chunk.subarray(0, n)]);
      const last = data.lastIndexOf(10);
      if (last === -1) {
        rest = data;
        continue;
      }
      // Whole lines only: a multi-byte character never straddles the cut.
      yield* lines(data.subarray(0, last + 1));
      rest = Buffer.from(data.subarray(last + 1));
    }
    if (rest.length > 0) yield* lines(rest);
  } finally {
    closeSync(fd);
  }
}

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
