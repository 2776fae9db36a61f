import { toCanonicalJson } from '../core/canonical-json.js';
import { toLeafHash } from './event.js';
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
  const tree = verifyEntries(input);
  if ('divergence' in tree) return fail(tree.divergence);
  const signed = verifyCheckpoints(input, tree.rootsAt);
  if ('divergence' in signed) return fail(signed.divergence);
  const checkpoints = signed.checkpoints;
  // Both roots above come from the same entries, so consecutive checkpoints are consistent by
  // construction; the newest pair is also checked with an RFC 6962 consistency proof (O(n) to build).
  const [a, b] = checkpoints.slice(-2);
  if (
    a &&
    b &&
    !verifyConsistency(
      a.size,
      b.size,
      consistencyProof(tree.leaves, a.size, b.size),
      a.root,
      b.root,
    )
  )
    return fail({
      checkpoint: checkpoints.length - 1,
      message: 'the newest checkpoint is not consistent with the one before',
    });
  const witnessed = verifyWitness(input, tree.rootsAt, checkpoints);
  if (witnessed) return fail(witnessed);
  const last = checkpoints.at(-1)?.size ?? 0;
  return {
    ok: true,
    size: entries.length,
    root: tree.root.toString('hex'),
    checkpoints: checkpoints.length,
    uncovered: entries.length - last,
  };
};

type Failed = { readonly divergence: Divergence };

/**
 * Recomputes the tree from the entries, checking each one's number, canonical form and recorded tree
 * head; keeps the roots at every size a checkpoint claims, taken while the tree grows (O(n log n) in
 * all, not O(n) per checkpoint).
 */
const verifyEntries = (
  input: VerifyInput,
): { leaves: Hash[]; root: Hash; rootsAt: Map<number, Hash> } | Failed => {
  const leaves: Hash[] = [];
  const range = new CompactRange();
  const wanted = new Set([...input.checkpoints, ...(input.witness ?? [])].map(checkpointSize));
  const rootsAt = new Map<number, Hash>([[0, range.root()]]);
  for (const [i, stored] of input.entries.entries()) {
    if (stored.seq !== i)
      return failed(
        i,
        `entry ${i} is stored as number ${stored.seq}: an entry was removed or inserted`,
      );
    const parsed = parseCanonical(stored.body);
    if (!parsed) return failed(i, `entry ${i} is not a canonical JSON object: it was edited`);
    if (parsed['seq'] !== i)
      return failed(
        i,
        `entry ${i} carries seq ${String(parsed['seq'])}: entries were removed, inserted or reordered`,
      );
    if (parsed['prev'] !== range.root().toString('hex'))
      return failed(
        Math.max(0, i - 1),
        `entry ${i} records another tree head than entries 0..${i - 1} give: entry ${i - 1} (or an earlier one) was changed`,
      );
    const leaf = toLeafHash(stored.body);
    leaves.push(leaf);
    range.append(leaf);
    if (wanted.has(range.size)) rootsAt.set(range.size, range.root());
  }
  return { leaves, root: range.root(), rootsAt };
};

const failed = (entry: number, message: string): Failed => ({ divergence: { entry, message } });

/** The entry as an object, if its body is exactly its canonical JSON. // untrusted: file content. */
const parseCanonical = (body: string): Record<string, unknown> | undefined => {
  try {
    const parsed: unknown = JSON.parse(body);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    return toCanonicalJson(parsed) === body ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/** Every checkpoint's signature, order, and root against the entries' root at its size. */
const verifyCheckpoints = (
  input: VerifyInput,
  rootsAt: ReadonlyMap<number, Hash>,
): { checkpoints: Checkpoint[] } | Failed => {
  const size = input.entries.length;
  const checkpoints: Checkpoint[] = [];
  for (const [k, note] of input.checkpoints.entries()) {
    const check = verifyCheckpoint(note, input.verifiers, input.origin);
    if (!check.ok)
      return { divergence: { checkpoint: k, message: `checkpoint ${k}: ${check.problem}` } };
    const c = check.checkpoint;
    const before = checkpoints.at(-1);
    if (before && c.size < before.size)
      return {
        divergence: {
          checkpoint: k,
          message: `checkpoint ${k} (size ${c.size}) is smaller than the one before (${before.size}): checkpoints were reordered`,
        },
      };
    if (c.size > size)
      return {
        divergence: {
          entry: size,
          checkpoint: k,
          message: `checkpoint ${k} covers ${c.size} entries but the log has ${size}: the log was truncated`,
        },
      };
    if (!rootsAt.get(c.size)?.equals(c.root)) {
      const from = before?.size ?? 0;
      return {
        divergence: {
          entry: c.size - 1 >= from ? c.size - 1 : from,
          checkpoint: k,
          message: `checkpoint ${k} (size ${c.size}) signs another root than entries 0..${c.size - 1} give: an entry in ${from}..${c.size - 1} was changed`,
        },
      };
    }
    checkpoints.push(c);
  }
  return { checkpoints };
};

/** Each witness copy must verify, match the entries, and still be among the log's checkpoints. */
const verifyWitness = (
  input: VerifyInput,
  rootsAt: ReadonlyMap<number, Hash>,
  checkpoints: readonly Checkpoint[],
): Divergence | undefined => {
  const size = input.entries.length;
  for (const [w, note] of (input.witness ?? []).entries()) {
    const check = verifyCheckpoint(note, input.verifiers, input.origin);
    if (!check.ok) return { message: `witness checkpoint ${w}: ${check.problem}` };
    const c = check.checkpoint;
    if (c.size > size)
      return {
        entry: size,
        message: `the witness saw ${c.size} entries, the log has ${size}: the log was truncated`,
      };
    if (!rootsAt.get(c.size)?.equals(c.root))
      return {
        entry: c.size - 1,
        message: `the witness checkpoint of size ${c.size} does not match the log: history was rewritten`,
      };
    if (!checkpoints.some((p) => p.size === c.size && p.root.equals(c.root)))
      return {
        message: `the witness checkpoint of size ${c.size} is missing from the log's checkpoints: a checkpoint was removed`,
      };
  }
  return undefined;
};
