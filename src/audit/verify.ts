import { toCanonicalJson, toLeafHash } from './event.js';
import { CompactRange, consistencyProof, verifyConsistency, type Hash } from './merkle.js';
import { checkpointSize, verifyCheckpoint, type Checkpoint, type Verifier } from './checkpoint.js';
import type { StoredEntry } from './store.js';

export interface VerifyInput {
  readonly entries: readonly StoredEntry[];
  readonly checkpoints: readonly string[];
  readonly verifiers: readonly Verifier[];
  readonly origin: string;
  /** Checkpoints copied to the witness location: the log must still contain and match each. */
  readonly witness?: readonly string[];
}

interface Divergence {
  /** The first entry found wrong, when the problem is pinned to an entry. */
  readonly entry?: number;
  /** The checkpoint (0-based, storage order) found wrong. */
  readonly checkpoint?: number;
  readonly message: string;
}

export type VerifyReport =
  | { ok: true; size: number; root: string; checkpoints: number; uncovered: number }
  | { ok: false; size: number; divergence: Divergence };

/**
 * `toolgate audit verify`, pure: recomputes the tree from the entries, checks every entry's sequence
 * number and recorded tree head, every checkpoint's signature and root (recomputed from the same
 * entries, hence consistent with the one before; the newest pair also by proof), and the witness copies. Stops at the first divergence. Entries after the last checkpoint are
 * counted as `uncovered` (normal after a crash): nothing signed vouches for them yet.
 */
export const verifyLog = (input: VerifyInput): VerifyReport => {
  const { entries } = input;
  const fail = (divergence: Divergence): VerifyReport => ({
    ok: false,
    size: entries.length,
    divergence,
  });
  const leaves: Hash[] = [];
  const range = new CompactRange();
  // Roots at every size a checkpoint claims, taken while the tree grows: O(n log n) in all, not O(n) per checkpoint.
  const wanted = new Set([...input.checkpoints, ...(input.witness ?? [])].map(checkpointSize));
  const rootsAt = new Map<number, Hash>([[0, range.root()]]);
  for (const [i, stored] of entries.entries()) {
    if (stored.seq !== i)
      return fail({
        entry: i,
        message: `entry ${i} is stored as number ${stored.seq}: an entry was removed or inserted`,
      });
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(stored.body) as Record<string, unknown>;
      if (
        !parsed ||
        typeof parsed !== 'object' ||
        Array.isArray(parsed) ||
        toCanonicalJson(parsed) !== stored.body
      )
        throw new Error();
    } catch {
      return fail({
        entry: i,
        message: `entry ${i} is not a canonical JSON object: it was edited`,
      });
    }
    if (parsed['seq'] !== i)
      return fail({
        entry: i,
        message: `entry ${i} carries seq ${String(parsed['seq'])}: entries were removed, inserted or reordered`,
      });
    if (parsed['prev'] !== range.root().toString('hex'))
      return fail({
        entry: Math.max(0, i - 1),
        message: `entry ${i} records another tree head than entries 0..${i - 1} give: entry ${i - 1} (or an earlier one) was changed`,
      });
    const leaf = toLeafHash(stored.body);
    leaves.push(leaf);
    range.append(leaf);
    if (wanted.has(range.size)) rootsAt.set(range.size, range.root());
  }

  const parsedCheckpoints: Checkpoint[] = [];
  for (const [k, note] of input.checkpoints.entries()) {
    const check = verifyCheckpoint(note, input.verifiers, input.origin);
    if (!check.ok) return fail({ checkpoint: k, message: `checkpoint ${k}: ${check.problem}` });
    const c = check.checkpoint;
    const before = parsedCheckpoints.at(-1);
    if (before && c.size < before.size)
      return fail({
        checkpoint: k,
        message: `checkpoint ${k} (size ${c.size}) is smaller than the one before (${before.size}): checkpoints were reordered`,
      });
    if (c.size > entries.length)
      return fail({
        entry: entries.length,
        checkpoint: k,
        message: `checkpoint ${k} covers ${c.size} entries but the log has ${entries.length}: the log was truncated`,
      });
    if (!rootsAt.get(c.size)?.equals(c.root)) {
      const from = before?.size ?? 0;
      return fail({
        entry: c.size - 1 >= from ? c.size - 1 : from,
        checkpoint: k,
        message: `checkpoint ${k} (size ${c.size}) signs another root than entries 0..${c.size - 1} give: an entry in ${from}..${c.size - 1} was changed`,
      });
    }
    parsedCheckpoints.push(c);
  }
  // Both roots above come from the same entries, so consecutive checkpoints are consistent by
  // construction; the newest pair is also checked with an RFC 6962 consistency proof (O(n) to build).
  const [a, b] = parsedCheckpoints.slice(-2);
  if (
    a &&
    b &&
    !verifyConsistency(a.size, b.size, consistencyProof(leaves, a.size, b.size), a.root, b.root)
  )
    return fail({
      checkpoint: parsedCheckpoints.length - 1,
      message: 'the newest checkpoint is not consistent with the one before',
    });

  for (const [w, note] of (input.witness ?? []).entries()) {
    const check = verifyCheckpoint(note, input.verifiers, input.origin);
    if (!check.ok) return fail({ message: `witness checkpoint ${w}: ${check.problem}` });
    const c = check.checkpoint;
    if (c.size > entries.length)
      return fail({
        entry: entries.length,
        message: `the witness saw ${c.size} entries, the log has ${entries.length}: the log was truncated`,
      });
    if (!rootsAt.get(c.size)?.equals(c.root))
      return fail({
        entry: c.size - 1,
        message: `the witness checkpoint of size ${c.size} does not match the log: history was rewritten`,
      });
    if (!parsedCheckpoints.some((p) => p.size === c.size && p.root.equals(c.root)))
      return fail({
        message: `the witness checkpoint of size ${c.size} is missing from the log's checkpoints: a checkpoint was removed`,
      });
  }

  const last = parsedCheckpoints.at(-1)?.size ?? 0;
  return {
    ok: true,
    size: entries.length,
    root: range.root().toString('hex'),
    checkpoints: parsedCheckpoints.length,
    uncovered: entries.length - last,
  };
};
