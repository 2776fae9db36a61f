import { createHash } from 'node:crypto';
import type { Action } from '../src/detect/types.js';

/** How many cases of one group were flagged (warn or block) and blocked. */
interface Tally {
  flagged: number;
  total: number;
  blocked: number;
}
type Half = 'dev' | 'held-out';
/**
 * Every case falls in one of two halves by a hash of its id (for AgentDojo the goal, for MSB the
 * tool, so one goal or tool never straddles both). Errors are only ever looked at on the
 * development half; the held-out half shows whether the rules generalise.
 */
const halfOf = (id: string): Half =>
  (createHash('sha256').update(id).digest()[0] as number) % 2 === 0 ? 'dev' : 'held-out';
const pct = (n: number, d: number) => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)}%`);

/**
 * The per-dataset tallies of `bench:detect`: `count` adds a case to its group, overall and in its
 * half; with `verbose` set to a half, the labelled cases of that half are kept in `misses`.
 */
export const createTallies = (verbose: string | undefined) => {
  const tallies = new Map<string, Tally>();
  const misses: string[] = [];
  const bump = (key: string, action: Action) => {
    const t = tallies.get(key) ?? { flagged: 0, total: 0, blocked: 0 };
    t.total++;
    if (action !== 'pass') t.flagged++;
    if (action === 'block') t.blocked++;
    tallies.set(key, t);
  };
  /** Counts one case under `key`, overall and in its half; --verbose lists the chosen half's cases. */
  const count = (key: string, action: Action, id: string, label = '') => {
    const half = halfOf(id);
    bump(key, action);
    bump(`${key}\u0000${half}`, action);
    if (verbose !== undefined && label && half === verbose)
      misses.push(`${key}\t${action}\t${label}`);
  };
  const isBenign = (key: string) => /benign|original/.test(key);
  const cell = (key: string, t: Tally | undefined) =>
    !t
      ? '–'
      : isBenign(key)
        ? `FP ${pct(t.flagged, t.total)} (${t.flagged}/${t.total})`
        : `${pct(t.flagged, t.total)} (${t.flagged}/${t.total}; block ${t.blocked})`;

  const table = (): string => {
    const t = (k: string) => tallies.get(k);
    const rows = [...tallies.keys()]
      .filter((k) => !k.includes('\u0000'))
      .sort()
      .map(
        (key) =>
          `| ${key.split(' ')[0]} | ${key.split(' ').slice(1).join(' ')} | ${cell(key, t(key))} | ${cell(key, t(`${key}\u0000dev`))} | ${cell(key, t(`${key}\u0000held-out`))} |`,
      );
    return [
      '| dataset | group | all | development half | held-out half |',
      '|---|---|---|---|---|',
      ...rows,
    ].join('\n');
  };
  return { count, misses, table };
};
