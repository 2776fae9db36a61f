import { toCanonicalJson } from '../core/canonical-json.js';
import { ITEM_KIND_NAMES, type ItemKind } from './hash.js';
import { decideList } from './decide.js';
import { toInitializeRecord, type LockServer } from './lock.js';
import type { InitializeInfo } from '../core/interceptor.js';

/** What a live server lists: compared with its lock entry. */
export interface Captured {
  readonly initialize: InitializeInfo;
  /** Each name's first listed definition. */
  readonly items: Readonly<Record<ItemKind, Readonly<Record<string, Record<string, unknown>>>>>;
  /** Later copies of a name listed again with another definition (the gateway refuses such a name). */
  readonly relisted?: readonly {
    readonly kind: ItemKind;
    readonly key: string;
    readonly item: Record<string, unknown>;
  }[];
}

/** One readable difference between the lock and a live server. */
export interface Change {
  readonly item: string;
  readonly change: 'added' | 'removed' | 'changed' | 'renamed';
  /** Field-level details: `description: "old" → "new"`, `inputSchema.properties.cc: added`, … */
  readonly details: readonly string[];
}

const MAX_TEXT = 400;
const show = (value: unknown): string => {
  const text = typeof value === 'string' ? JSON.stringify(value) : toCanonicalJson(value);
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}… (${text.length} chars)` : text;
};

/**
 * Field-by-field differences of two JSON values: text fields show old and new, schema properties
 * and annotations show what was added, removed or changed, by path. Pure.
 */
export const diffFields = (before: unknown, after: unknown, path = ''): string[] => {
  if (toCanonicalJson(before ?? null) === toCanonicalJson(after ?? null)) return [];
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => {
      const sub = path ? `${path}.${key}` : key;
      if (!(key in before)) return [`${sub}: added ${show(after[key])}`];
      if (!(key in after)) return [`${sub}: removed (was ${show(before[key])})`];
      return diffFields(before[key], after[key], sub);
    });
  }
  return [`${path || '(value)'}: ${show(before)} → ${show(after)}`];
};

/** What changed on one server since it was locked: initialize, and every list item. */
export const diffServer = (locked: LockServer, live: Captured): Change[] => {
  const changes: Change[] = [];
  const init = toInitializeRecord(live.initialize);
  if (init.sha256 !== locked.initialize.sha256) {
    const { sha256: _a, ...before } = locked.initialize;
    const { sha256: _b, ...after } = init;
    changes.push({ item: 'initialize', change: 'changed', details: diffFields(before, after) });
  }
  for (const kind of ITEM_KIND_NAMES) changes.push(...diffKind(locked, kind, live.items[kind]));
  // A name listed twice with two definitions is refused at runtime whichever copy matches the lock.
  for (const { kind, key, item } of live.relisted ?? [])
    changes.push({
      item: `${kind}/${key}`,
      change: 'changed',
      details: [
        'listed more than once with different definitions',
        ...diffFields(locked[kind][key]?.definition ?? live.items[kind][key], item),
      ],
    });
  return changes;
};

const diffKind = (
  locked: LockServer,
  kind: ItemKind,
  live: Readonly<Record<string, Record<string, unknown>>>,
): Change[] => {
  const verdict = decideList(locked, kind, Object.values(live));
  const renamed = new Set<string>();
  const changes: Change[] = verdict.findings.map((finding) => {
    const after = live[finding.key];
    if (finding.code === 'PIN_HASH_MISMATCH')
      return {
        item: `${kind}/${finding.key}`,
        change: 'changed',
        details: diffFields(locked[kind][finding.key]?.definition, after),
      };
    if (finding.renamedFrom !== undefined) {
      renamed.add(finding.renamedFrom);
      return {
        item: `${kind}/${finding.key}`,
        change: 'renamed',
        details: [
          `was ${kind}/${finding.renamedFrom}`,
          ...diffFields(locked[kind][finding.renamedFrom]?.definition, after),
        ],
      };
    }
    return { item: `${kind}/${finding.key}`, change: 'added', details: diffFields({}, after) };
  });
  for (const key of Object.keys(locked[kind]))
    if (!(key in live) && !renamed.has(key))
      changes.push({ item: `${kind}/${key}`, change: 'removed', details: [] });
  return changes;
};

/** The changes as text, one block per item. */
export const formatChanges = (server: string, changes: readonly Change[]): string =>
  changes.length === 0
    ? `${server}: matches the lock\n`
    : changes
        .map(
          (c) =>
            `${server} ${c.change.toUpperCase()} ${c.item}\n${c.details.map((d) => `    ${d}\n`).join('')}`,
        )
        .join('');
