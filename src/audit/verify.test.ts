import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkpointSize, signCheckpoint } from './checkpoint.js';
import { toCanonicalJson } from '../core/canonical-json.js';
import { toLeafHash } from './event.js';
import { createKeys, loadKeys, loadVerifiers } from './keys.js';
import { AuditLog } from './log.js';
import { CompactRange, hashLeaf } from './merkle.js';
import { openJsonlStore, parseJsonl } from './store-jsonl.js';
import type { StoredEntry } from './store.js';
import { verifyLog, type VerifyInput } from './verify.js';

const ORIGIN = 'test.example/audit';

/** `turns` turns of the event loop (the log hashes an entry into its tree two turns after its append, see `AuditLog.settle`). */
const turns = async (count: number) => {
  for (let t = 0; t < count; t++) await new Promise((resolve) => setImmediate(resolve));
};

/**
 * A real log: the JSONL store, signed checkpoints every
 * `every` entries and at close, a witness file. `pauses[i]` turns of the event loop pass after the
 * i-th append (none by default: every append then hashes the entry before it itself).
 */
const buildLog = async (
  n: number,
  every: number,
  pauses: readonly number[] = [],
): Promise<VerifyInput> => {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-audit-verify-'));
  createKeys(join(dir, 'key'), join(dir, 'key.pub'), ORIGIN);
  const store = openJsonlStore(join(dir, 'audit.jsonl'), 'normal');
  const log = new AuditLog(store, {
    signer: loadKeys(join(dir, 'key')).signer,
    origin: ORIGIN,
    everyEntries: every,
    everySeconds: 3600,
    witnessFile: join(dir, 'witness'),
  });
  for (let i = 0; i < n; i++) {
    // latencyUs makes every entry distinct, so a swap is always a real change
    await log.append({
      decision: i % 3 === 0 ? 'deny' : 'result',
      server: 's',
      method: 'tools/call',
      target: `t${i % 5}`,
      latencyUs: i,
      ...(i % 3 === 0 && { reason: 'POLICY_TOOL_DENIED' }),
    });
    await turns(pauses[i] ?? 0);
  }
  log.close();
  const read = openJsonlStore(join(dir, 'audit.jsonl'), 'normal', true);
  const input = {
    entries: read.entries(),
    checkpoints: read.checkpoints(),
    verifiers: loadVerifiers(join(dir, 'key.pub')),
    origin: ORIGIN,
    witness: existsSync(join(dir, 'witness'))
      ? parseJsonl(readFileSync(join(dir, 'witness'), 'utf8')).checkpoints
      : [],
  };
  read.close();
  return input;
};

/** An attacker who rewrites later entries so that their seq and prev fields are consistent again. */
const rechain = (entries: readonly StoredEntry[]): StoredEntry[] => {
  const range = new CompactRange();
  return entries.map((e, seq) => {
    let body = e.body;
    try {
      body = toCanonicalJson({
        ...(JSON.parse(e.body) as object),
        seq,
        prev: range.root().toString('hex'),
      });
    } catch {
      // not JSON: left as it is
    }
    range.append(toLeafHash(body));
    return { seq, body };
  });
};

type EntryTamper =
  | { kind: 'edit-entry'; at: number; rechain: boolean }
  | { kind: 'flip-byte'; at: number; pos: number }
  | { kind: 'delete-entry'; at: number; renumber: boolean; rechain: boolean }
  | { kind: 'swap-entries'; at: number; other: number; rechain: boolean }
  | { kind: 'truncate-entries'; keep: number }
  | { kind: 'insert-entry'; at: number; rechain: boolean };
type CheckpointTamper =
  | { kind: 'edit-checkpoint'; at: number; pos: number }
  | { kind: 'delete-checkpoint'; at: number }
  | { kind: 'swap-checkpoints'; at: number; other: number }
  | { kind: 'truncate-checkpoints'; drop: number }
  | { kind: 'insert-checkpoint'; at: number; forged: boolean };

const tamperArb = fc.oneof(
  fc.record({ kind: fc.constant('edit-entry' as const), at: fc.nat(), rechain: fc.boolean() }),
  fc.record({ kind: fc.constant('flip-byte' as const), at: fc.nat(), pos: fc.nat() }),
  fc.record({
    kind: fc.constant('delete-entry' as const),
    at: fc.nat(),
    renumber: fc.boolean(),
    rechain: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('swap-entries' as const),
    at: fc.nat(),
    other: fc.nat(),
    rechain: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('truncate-entries' as const), keep: fc.nat() }),
  fc.record({ kind: fc.constant('insert-entry' as const), at: fc.nat(), rechain: fc.boolean() }),
  fc.record({ kind: fc.constant('edit-checkpoint' as const), at: fc.nat(), pos: fc.nat() }),
  fc.record({ kind: fc.constant('delete-checkpoint' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap-checkpoints' as const), at: fc.nat(), other: fc.nat() }),
  fc.record({ kind: fc.constant('truncate-checkpoints' as const), drop: fc.nat() }),
  fc.record({
    kind: fc.constant('insert-checkpoint' as const),
    at: fc.nat(),
    forged: fc.boolean(),
  }),
) as fc.Arbitrary<EntryTamper | CheckpointTamper>;

/** An attacker's edit of the entries. */
const tamperEntries = (input: VerifyInput, t: EntryTamper): VerifyInput => {
  const entries = [...input.entries];
  const n = entries.length;
  const fix = (list: StoredEntry[], again: boolean) => (again ? rechain(list) : list);
  switch (t.kind) {
    case 'edit-entry': {
      const i = t.at % n;
      const body = JSON.parse((entries[i] as StoredEntry).body) as Record<string, unknown>;
      entries[i] = {
        seq: i,
        body: toCanonicalJson({ ...body, reason: `EDITED_${String(body['reason'])}` }),
      };
      return { ...input, entries: fix(entries, t.rechain) };
    }
    case 'flip-byte': {
      const i = t.at % n;
      const body = (entries[i] as StoredEntry).body;
      const p = t.pos % body.length;
      entries[i] = {
        seq: i,
        body: body.slice(0, p) + String.fromCharCode(body.charCodeAt(p) ^ 1) + body.slice(p + 1),
      };
      return { ...input, entries };
    }
    case 'delete-entry': {
      entries.splice(t.at % n, 1);
      return {
        ...input,
        entries: t.rechain
          ? rechain(entries)
          : t.renumber
            ? entries.map((e, seq) => ({ ...e, seq }))
            : entries,
      };
    }
    case 'swap-entries': {
      const i = t.at % n;
      const j = (i + 1 + (t.other % (n - 1))) % n;
      const a = entries[i] as StoredEntry;
      entries[i] = { seq: i, body: (entries[j] as StoredEntry).body };
      entries[j] = { seq: j, body: a.body };
      return { ...input, entries: fix(entries, t.rechain) };
    }
    case 'truncate-entries':
      return { ...input, entries: entries.slice(0, t.keep % n) };
    case 'insert-entry': {
      const i = t.at % (n + 1);
      const forged = toCanonicalJson({
        v: 1,
        seq: i,
        time: new Date(0).toISOString(),
        decision: 'result',
        server: 's',
        prev: '00',
      });
      entries.splice(i, 0, { seq: i, body: forged });
      return {
        ...input,
        entries: t.rechain ? rechain(entries) : entries.map((e, seq) => ({ ...e, seq })),
      };
    }
  }
};

/** A key pair the verifier does not know, for forged checkpoints. */
const forgerDir = mkdtempSync(join(tmpdir(), 'toolgate-audit-forger-'));
createKeys(join(forgerDir, 'k'), join(forgerDir, 'k.pub'), ORIGIN);

/** An attacker's edit of the checkpoints. */
const tamperCheckpoints = (input: VerifyInput, t: CheckpointTamper): VerifyInput => {
  const checkpoints = [...input.checkpoints];
  const c = checkpoints.length;
  switch (t.kind) {
    case 'edit-checkpoint': {
      const k = t.at % c;
      const note = checkpoints[k] as string;
      const p = t.pos % note.length;
      checkpoints[k] = note.slice(0, p) + (note[p] === 'A' ? 'B' : 'A') + note.slice(p + 1);
      return { ...input, checkpoints };
    }
    case 'delete-checkpoint':
      checkpoints.splice(t.at % c, 1);
      return { ...input, checkpoints };
    case 'swap-checkpoints': {
      const i = t.at % c;
      const j = (i + 1 + (t.other % (c - 1))) % c;
      [checkpoints[i], checkpoints[j]] = [checkpoints[j] as string, checkpoints[i] as string];
      return { ...input, checkpoints };
    }
    case 'truncate-checkpoints':
      return { ...input, checkpoints: checkpoints.slice(0, c - 1 - (t.drop % c)) };
    case 'insert-checkpoint': {
      const at = t.at % (c + 1);
      // forged: a well-formed note under a key the verifier does not know; else: a replayed older checkpoint
      const note = t.forged
        ? signCheckpoint(
            { origin: ORIGIN, size: input.entries.length, root: hashLeaf(Buffer.from('forged')) },
            loadKeys(join(forgerDir, 'k')).signer,
          )
        : (checkpoints[0] as string);
      if (!t.forged && at <= 1) return { ...input, checkpoints: [...checkpoints, note] }; // a duplicate in place changes nothing
      checkpoints.splice(at, 0, note);
      return { ...input, checkpoints };
    }
  }
};

const apply = (input: VerifyInput, t: EntryTamper | CheckpointTamper): VerifyInput =>
  t.kind.includes('checkpoint')
    ? tamperCheckpoints(input, t as CheckpointTamper)
    : tamperEntries(input, t as EntryTamper);

describe('when verifying a log', () => {
  let pristine: VerifyInput;
  beforeAll(async () => {
    pristine = await buildLog(41, 6);
  });

  it('[AUD-4] an untouched log always verifies, whatever its size, checkpoint interval and pauses between appends (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 20 }),
        // 0: the next append hashes this entry; 1: it does, its deferred hashing still queued; 2: the deferred hashing did
        fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 60 }),
        async (n, every, pauses) => {
          const input = await buildLog(n, every, pauses);
          expect(verifyLog(input)).toMatchObject({ ok: true, size: n, uncovered: 0 });
          expect(input.checkpoints.map(checkpointSize)).toEqual([
            ...Array.from({ length: Math.floor(n / every) }, (_, k) => (k + 1) * every),
            ...(n % every === 0 ? [] : [n]),
          ]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('[AUD-4] reports any edit, deletion, reordering, truncation or insertion of entries or checkpoints (property)', () => {
    expect(pristine.checkpoints.length).toBeGreaterThanOrEqual(7);
    expect(verifyLog(pristine).ok).toBe(true);
    fc.assert(
      fc.property(tamperArb, (t) => {
        const report = verifyLog(apply(pristine, t));
        // An entry appended after the final checkpoint cannot be refuted, only reported as not vouched for.
        const reported = !report.ok || report.uncovered > 0;
        expect(reported, `undetected: ${JSON.stringify(t)}`).toBe(true);
      }),
      { numRuns: 600 },
    );
  });

  it('[AUD-4] pins an edited entry to its number', () => {
    const tampered = apply(pristine, { kind: 'edit-entry', at: 17, rechain: false });
    expect(verifyLog(tampered)).toMatchObject({ ok: false, divergence: { entry: 17 } });
    const rewritten = apply(pristine, { kind: 'edit-entry', at: 17, rechain: true });
    const report = verifyLog(rewritten);
    expect(report).toMatchObject({ ok: false, divergence: { checkpoint: 2 } }); // covers 12..17
    expect(report.ok || report.divergence.message).toMatch(/12\.\.17/);
  });

  it('[AUD-4] counts entries after the last checkpoint as uncovered, not as tampering', () => {
    const noFinal = { ...pristine, checkpoints: pristine.checkpoints.slice(0, -1), witness: [] };
    expect(verifyLog(noFinal)).toMatchObject({ ok: true, uncovered: 41 - 36 });
  });
});
