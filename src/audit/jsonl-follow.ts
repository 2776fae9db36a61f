import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { AuditError } from '../errors.js';
import type { StoredEntry } from './store.js';
import { parseJsonl } from './store-jsonl.js';

/** The log is read this much at a time (more for a longer line). */
const CHUNK = 8 << 20;

/**
 * `audit tail --follow` on a JSONL log: each call `next(after)` returns the entries appended since
 * the previous call whose number is above `after`, numbered as `parseJsonl` numbers them, reading only
 * the new bytes (the first call reads the log once, a chunk at a time). A line still being written
 * (no newline yet) waits for the next call; a log that shrinks was replaced, and is refused.
 * // untrusted: file content.
 */
export const jsonlFollower = (path: string, chunk = CHUNK): ((after: number) => StoredEntry[]) => {
  let offset = 0;
  let seq = 0;
  let buf = Buffer.alloc(chunk);
  return (after) => {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size < offset)
        throw new AuditError(
          'AUDIT_STORE_INVALID',
          `${path} shrank from ${offset} to ${size} bytes while followed: the log was replaced`,
        );
      const out: StoredEntry[] = [];
      while (offset < size) {
        const n = readSync(fd, buf, 0, buf.length, offset);
        const end = buf.subarray(0, n).lastIndexOf(10);
        if (end === -1) {
          if (n < buf.length) break; // a line still being written
          buf = Buffer.alloc(buf.length * 2); // a line longer than the buffer
          continue;
        }
        // Whole lines only: a multi-byte character never straddles the cut.
        for (const e of parseJsonl(buf.subarray(0, end + 1).toString('utf8')).entries)
          if (seq++ > after) out.push({ seq: seq - 1, body: e.body });
        offset += end + 1;
      }
      return out;
    } finally {
      closeSync(fd);
    }
  };
};
