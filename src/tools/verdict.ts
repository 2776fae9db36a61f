import type { CompiledAllowlist } from '../allowlist/compile.js';
import type { Namespace } from '../gateway/namespace.js';
import type { ItemKind } from '../pins/hash.js';
import type { Flagged } from '../pins/screen.js';
import { DENY_CODE, KIND, type ListedItem } from './types.js';

/** What the verdict of one listed item depends on, for one server. */
export interface ItemContext {
  readonly id: string;
  readonly allowlist: CompiledAllowlist;
  readonly namespace: Namespace;
  /** The pins' state of each live item (with `--live`); absent when the lock is all there is. */
  readonly states: ReadonlyMap<string, string> | undefined;
  /** The detector's warn and block verdicts, by `kind/key`. */
  readonly flagged: ReadonlyMap<string, Flagged>;
}

/**
 * One item's verdict, in the chain's order: the allowlist, then the pins, then the content detector,
 * then the namespace drop the gateway applies after the chain. The first that hides it gives the reason.
 */
export const itemVerdict = (
  context: ItemContext,
  kind: ItemKind,
  key: string,
  base: Omit<ListedItem, 'verdict'>,
): ListedItem => {
  const { id, allowlist, namespace, states, flagged } = context;
  const k = KIND[kind];
  if (!allowlist.allows(id, k.allow, key))
    return {
      ...base,
      verdict: 'hidden',
      code: DENY_CODE[k.allow],
      reason: `not in servers.${id}.${k.list}`,
    };
  const state = states?.get(key);
  if (states !== undefined && state === undefined)
    return { ...base, verdict: 'hidden', reason: 'locked, but the server does not list it now' };
  if (state === 'PIN_HASH_MISMATCH' || state === 'PIN_MISSING') {
    const why =
      state === 'PIN_MISSING'
        ? 'listed now, not in the lock'
        : 'its live definition differs from the lock';
    return {
      ...base,
      verdict: 'hidden',
      code: state,
      reason: `${why} (toolgate diff, then approve)`,
    };
  }
  const flag = flagged.get(`${kind}/${key}`);
  const why =
    flag &&
    `scored ${flag.score} by the content detector (${flag.reasons.map((r) => r.rule).join(', ')})`;
  if (flag?.action === 'block')
    return {
      ...base,
      verdict: 'hidden',
      code: 'DETECT_POISONED_DEFINITION',
      reason: `${why}: hidden as poisoned`,
    };
  // The gateway drops, after the chain, an unprefixed server's name that carries another server's prefix (NS-3).
  if (!namespace.routesTo(id, base.publicName, k.uri ? 'uri' : 'name'))
    return {
      ...base,
      verdict: 'hidden',
      reason: "carries another server's prefix: the gateway drops it (namespace: false)",
    };
  return { ...base, verdict: 'visible', ...(why !== undefined && { warning: why }) };
};
