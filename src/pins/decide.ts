import { hashItem, itemKey, ITEM_KINDS, toCanonicalJson, type ItemKind } from './hash.js';
import type { LockServer } from './lock.js';

export type PinCode = 'PIN_MISSING' | 'PIN_HASH_MISMATCH';

/** One live item that does not match the lock. */
export interface PinFinding {
  readonly kind: ItemKind;
  readonly key: string;
  readonly code: PinCode;
  readonly sha256: string;
  /** A locked item that vanished from this list and is near-identical: a rename, not a new item. */
  readonly renamedFrom?: string;
}

export interface ListVerdict {
  /** Items whose whole definition matches the lock: the only ones the client sees. */
  readonly kept: readonly Record<string, unknown>[];
  readonly findings: readonly PinFinding[];
  /** Every live key with its state, for refusing calls later. */
  readonly states: ReadonlyMap<string, 'ok' | PinCode>;
}

/** Two definitions at least this similar (minus their names) are reported as a rename. */
export const RENAME_SIMILARITY = 0.85;

/**
 * Compares one live list (a page) with the lock. Pure. A changed item is PIN_HASH_MISMATCH, an
 * unknown one PIN_MISSING; both are dropped. An unknown item that looks like a locked item gone
 * from the same list is reported as its rename (the rug pull "delete and re-add under a new name").
 * @example
 * decideList(lock.servers.x, 'tools', result.tools).kept
 */
export const decideList = (locked: LockServer | undefined, kind: ItemKind, items: readonly unknown[]): ListVerdict => {
  const pinned = locked?.[kind] ?? {};
  const kept: Record<string, unknown>[] = [];
  const findings: PinFinding[] = [];
  const states = new Map<string, 'ok' | PinCode>();
  const liveKeys = new Set<string>();
  const valid = items.filter((i): i is Record<string, unknown> => typeof i === 'object' && i !== null && !Array.isArray(i));
  for (const item of valid) {
    const key = itemKey(kind, item);
    if (key !== undefined) liveKeys.add(key);
  }
  const vanished = Object.keys(pinned).filter((k) => !liveKeys.has(k));
  for (const item of valid) {
    // untrusted: every field of a listed item comes from the server.
    const key = itemKey(kind, item);
    if (key === undefined) continue;
    const sha256 = hashItem(item);
    const entry = pinned[key];
    if (entry?.sha256 === sha256) {
      kept.push(item);
      states.set(key, 'ok');
      continue;
    }
    const code: PinCode = entry ? 'PIN_HASH_MISMATCH' : 'PIN_MISSING';
    states.set(key, code);
    const renamedFrom = entry ? undefined : vanished.find((old) => similarity(kind, pinned[old]?.definition ?? {}, item) >= RENAME_SIMILARITY);
    findings.push({ kind, key, code, sha256, ...(renamedFrom !== undefined && { renamedFrom }) });
  }
  return { kept, findings, states };
};

/** Similarity in [0, 1] of two definitions with their names removed (Dice coefficient of bigrams). */
export const similarity = (kind: ItemKind, a: Record<string, unknown>, b: Record<string, unknown>): number => {
  const field = ITEM_KINDS[kind].key;
  const strip = (d: Record<string, unknown>) => toCanonicalJson({ ...d, [field]: '', title: '' });
  return dice(strip(a), strip(b));
};

const bigrams = (text: string): Map<string, number> => {
  const counts = new Map<string, number>();
  for (let i = 0; i < text.length - 1; i++) {
    const gram = text.slice(i, i + 2);
    counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  return counts;
};

const dice = (a: string, b: string): number => {
  if (a === b) return 1;
  if (a.length < 2 || b.length < 2) return 0;
  const ga = bigrams(a);
  let overlap = 0;
  for (const [gram, count] of bigrams(b)) overlap += Math.min(count, ga.get(gram) ?? 0);
  return (2 * overlap) / (a.length - 1 + (b.length - 1));
};
