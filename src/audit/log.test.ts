import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointSize } from './checkpoint.js';
import { createKeys, loadKeys, loadVerifiers } from './keys.js';
import { AuditLog } from './log.js';
import { openJsonlStore } from './store-jsonl.js';
import { verifyLog } from './verify.js';

const ORIGIN = 'test.example/audit';
const turn = () => new Promise((resolve) => setImmediate(resolve));
const sizes = (notes: readonly string[]) => notes.map(checkpointSize);

describe("the audit log's tree", () => {
  it('[AUD-4] is hashed after the turn that sent an entry’s message, or by the next append, and the log verifies either way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-audit-log-'));
    createKeys(join(dir, 'key'), join(dir, 'key.pub'), ORIGIN);
    const store = openJsonlStore(join(dir, 'audit.jsonl'), 'normal');
    // A checkpoint after every entry: it is signed once the tree holds the entry, so it shows when that happens.
    const log = new AuditLog(store, {
      signer: loadKeys(join(dir, 'key')).signer,
      origin: ORIGIN,
      everyEntries: 1,
      everySeconds: 3600,
    });
    const fields = (target: string) => ({
      decision: 'forward' as const,
      server: 's',
      method: 'tools/call',
      target,
    });

    void log.append(fields('a'));
    expect(log.size).toBe(1);
    expect(store.entries()).toHaveLength(1); // the entry is stored at its append
    expect(store.checkpoints()).toEqual([]); // its hashing is not done there
    await turn(); // the end of the appending turn: where the transports send the message
    expect(store.checkpoints()).toEqual([]);
    await turn(); // the end of the next turn
    expect(sizes(store.checkpoints())).toEqual([1]);

    // Appends in one turn: each hashes the one before it first, so its `prev` is the tree head before it.
    void log.append(fields('b'));
    void log.append(fields('c'));
    expect(sizes(store.checkpoints())).toEqual([1, 2]);
    log.close(); // the last entry is hashed and checkpointed at close
    await turn();
    await turn(); // the deferred hashing finds nothing left to do

    const read = openJsonlStore(join(dir, 'audit.jsonl'), 'normal', true);
    expect(sizes(read.checkpoints())).toEqual([1, 2, 3]);
    expect(
      verifyLog({
        entries: read.entries(),
        checkpoints: read.checkpoints(),
        verifiers: loadVerifiers(join(dir, 'key.pub')),
        origin: ORIGIN,
      }),
    ).toMatchObject({
      ok: true,
      size: 3,
      checkpoints: 3,
      uncovered: 0,
    });
    read.close();
  });
});
