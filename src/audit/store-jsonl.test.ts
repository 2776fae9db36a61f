import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openJsonlStore } from './store-jsonl.js';

describe('when a gateway resumes a JSONL log', () => {
  it('[AUD-4] streams exactly the entries a full read gives, whatever their sizes and characters (property)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-audit-stream-'));
    // Lines long enough to straddle the 64 KiB read chunks, multi-byte characters, checkpoint lines,
    // and a last line without its newline (a write cut short).
    const line = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }).map((t) => JSON.stringify({ v: 1, text: t })),
      fc.integer({ min: 60_000, max: 140_000 }).map((n) => JSON.stringify({ v: 1, text: 'é€𝄞x'.repeat(Math.ceil(n / 8)) })),
      fc.constant(JSON.stringify({ checkpoint: 'origin\n3\nroot\n' })),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), (lines, cut) => {
        const path = join(dir, 'audit.jsonl');
        writeFileSync(path, lines.map((l) => l + '\n').join(''));
        if (cut) appendFileSync(path, '{"v":1,"partial":tru');
        const store = openJsonlStore(path, 'normal', true);
        expect([...store.eachEntry()]).toEqual(store.entries());
      }),
      { numRuns: 60 },
    );
  });
});
