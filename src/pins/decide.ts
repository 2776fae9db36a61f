import { toCanonicalJson } from '../core/canonical-json.js';
import { hashItem, itemKey, ITEM_KINDS, type ItemKind } from './hash.js';
import type { LockServer } from './lock.js';

export type PinCode = 'PIN_MISSING' | 'PIN_HASH_MISMATCH';

/** One live item that does not match the lock. */
export interface PinFinding {
  readonly kind: ItemKind;
  readonly key: string;
  readonly code: PinCode;
  readonly sha256: string;
  /** A locked item that vanished from the server's whole list and is near-identical: a rename, not a new item. */
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
const RENAME_SIMILARITY = 0.85;

/**
 * Compares one live list (a page) with the lock. Pure. A changed item is PIN_HASH_MISMATCH, an
 * unknown one PIN_MISSING; both are dropped. Renames are decided over the server's whole list
 * (every page), not one page: see {@link findRenames}.
 * @example
 * decideList(lock.servers.x, 'tools', result.tools).kept
 */
export const decideList = (
  locked: LockServer | undefined,
  kind: ItemKind,
  items: readonly unknown[],
): ListVerdict => {
  const pinned = locked?.[kind] ?? {};
  const kept: Record<string, unknown>[] = [];
  const findings: PinFinding[] = [];
  const states = new Map<string, 'ok' | PinCode>();
  const valid = items.filter(
    (i): i is Record<string, unknown> => typeof i === 'object' && i !== null && !Array.isArray(i),
  );
  // untrusted: a name listed twice with two definitions (a changed copy beside the locked one) is
  // ambiguous: the server may run either, so no copy of it is kept.
  const hashes = new Map<string, Set<string>>();
  const keyed = valid.flatMap((item) => {
    const key = itemKey(kind, item);
    if (key === undefined) return [];
    const sha256 = hashItem(item);
    const seen = hashes.get(key) ?? new Set<string>();
    hashes.set(key, seen.add(sha256));
    return [{ item, key, sha256 }];
  });
  for (const { item, key, sha256 } of keyed) {
    // untrusted: every field of a listed item comes from the server.
    const entry = pinned[key];
    const ambiguous = (hashes.get(key)?.size ?? 0) > 1;
    if (entry?.sha256 === sha256 && !ambiguous) {
      kept.push(item);
      states.set(key, 'ok');
      continue;
    }
    const code: PinCode = entry ? 'PIN_HASH_MISMATCH' : 'PIN_MISSING';
    if (entry?.sha256 === sha256) continue; // the locked copy of an ambiguous name: its other copy is the finding
    states.set(key, code);
    findings.push({ kind, key, code, sha256 });
  }
  return { kept, findings, states };
};

/**
 * Renames over a server's WHOLE live list of one kind (all pages joined): every unknown item that is
 * near-identical to a locked item absent from the whole list is that item renamed (the rug pull
 * "delete and re-add under a new name"). A locked item still listed on another page is not vanished,
 * so it is never claimed. Pure. Returns new key → locked key it was renamed from.
 * @example
 * findRenames(lock.servers.x, 'tools', new Map([['send_msg', { name: 'send_msg', … }]])) // Map { 'send_msg' => 'send_message' }
 */
export const findRenames = (
  locked: LockServer | undefined,
  kind: ItemKind,
  listing: ReadonlyMap<string, Record<string, unknown>>,
): Map<string, string> => {
  const pinned = locked?.[kind] ?? {};
  const vanished = Object.keys(pinned).filter((k) => !listing.has(k));
  const renames = new Map<string, string>();
  if (vanished.length === 0) return renames;
  for (const [key, item] of listing) {
    if (pinned[key]) continue;
    let best: { old: string; score: number } | undefined;
    for (const old of vanished) {
      const score = similarity(kind, pinned[old]?.definition ?? {}, item);
      if (score >= RENAME_SIMILARITY && (!best || score > best.score)) best = { old, score };
    }
    if (best) renames.set(key, best.old);
  }
  return renames;
};

/** Similarity in [0, 1] of two definitions with their names removed (Dice coefficient of bigrams). */
export const similarity = (
  kind: ItemKind,
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): number => {
  const field = ITEM_KINDS[kind].key;
  const strip = (d: Record<string, unknown>) => toCanonicalJson({ ...d, [field]: '', title: '' });
  const whole = dice(strip(a), strip(b));
  // The JSON skeleton (`{"description":…,"inputSchema":{"type":"object"}…`) alone makes two short,
  // unrelated definitions look alike: when either has a description, the descriptions must be alike too.
  const text = (d: Record<string, unknown>) =>
    typeof d['description'] === 'string' ? d['description'] : '';
  return text(a) === '' && text(b) === '' ? whole : Math.min(whole, dice(text(a), text(b)));
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
