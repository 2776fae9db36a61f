import { compileAllowlist, type ItemKind as AllowKind } from '../allowlist/compile.js';
import { createInstructionsCheck } from '../gateway/instructions-check.js';
import { CONTENT_DEFAULTS } from '../config/content-schema.js';
import { GatewayError } from '../errors.js';
import { createEngine } from '../detect/engine.js';
import type { Config } from '../config/schema.js';
import { namespaceOf } from '../gateway/namespace.js';
import type { Captured } from '../pins/diff.js';
import { decideList } from '../pins/decide.js';
import { ITEM_KIND_NAMES, type ItemKind } from '../pins/hash.js';
import type { Lock } from '../pins/lock.js';
import { screenCaptured } from '../pins/screen.js';

/** What the agent would see of one item, or why it is hidden, with the code the gateway uses for it. */
type HiddenCode =
  | 'POLICY_TOOL_DENIED'
  | 'POLICY_PROMPT_DENIED'
  | 'POLICY_RESOURCE_DENIED'
  | 'PIN_MISSING'
  | 'LOCK_SERVER_MISSING'
  | 'DETECT_POISONED_DEFINITION'
  | 'PIN_HASH_MISMATCH'
  | 'DETECT_POISONED_INSTRUCTIONS';

/** With `--live`: what a server lists now (as `toolgate lock` captures it), or why it could not be started. */
export type LiveServer =
  | { readonly captured: Captured }
  | { readonly error: { readonly code: string; readonly message: string } };

type ListedKind = 'tool' | 'prompt' | 'resource' | 'resourceTemplate' | 'server';

interface ListedItem {
  readonly server: string;
  readonly kind: ListedKind;
  /** The name (or URI, URI template) as the server lists it. Server-chosen: print it through `printable`. */
  readonly name: string;
  /** The name the agent sees: namespaced as the gateway publishes it. */
  readonly publicName: string;
  readonly description: string;
  readonly verdict: 'visible' | 'hidden';
  /** A {@link HiddenCode}; with `--live`, a server that failed to start carries its start error's code. */
  readonly code?: string;
  readonly reason?: string;
  /** A visible item the detector warns about (it still passes, with a content event). */
  readonly warning?: string;
}

/** An allowlist entry that matches no item the lock holds: a typo, or an item the server added since. */
interface ListingWarning {
  readonly server: string;
  readonly list: 'tools' | 'prompts' | 'resources';
  readonly entry: string;
  readonly message: string;
}

export interface Listing {
  readonly items: readonly ListedItem[];
  readonly warnings: readonly ListingWarning[];
}

const KIND: Record<
  ItemKind,
  { listed: ListedKind; allow: AllowKind; list: ListingWarning['list']; uri: boolean }
> = {
  tools: { listed: 'tool', allow: 'tool', list: 'tools', uri: false },
  prompts: { listed: 'prompt', allow: 'prompt', list: 'prompts', uri: false },
  resources: { listed: 'resource', allow: 'resource', list: 'resources', uri: true },
  resourceTemplates: {
    listed: 'resourceTemplate',
    allow: 'resource',
    list: 'resources',
    uri: true,
  },
};

const DENY_CODE = {
  tool: 'POLICY_TOOL_DENIED',
  prompt: 'POLICY_PROMPT_DENIED',
  resource: 'POLICY_RESOURCE_DENIED',
} as const satisfies Record<AllowKind, HiddenCode>;

const descriptionOf = (definition: Record<string, unknown>): string => {
  // untrusted: a server wrote the description; it is only carried here, `printable` cleans it for a terminal.
  const text = definition['description'] ?? definition['title'];
  return typeof text === 'string' ? text : '';
};

/**
 * What an agent connected through the gateway would see, from the config and the lock alone (nothing
 * is started): every item the lock holds per server with its public name and verdict, in the
 * chain's order (allowlist, then pins, then the content detector), using the gateway's own
 * allowlist, namespace and detector, so this listing cannot disagree with a running gateway whose
 * servers still list what they listed at lock time. With `live` (what each server lists now), the
 * pins compare it with the lock as the gateway does (`PIN_HASH_MISMATCH`, `PIN_MISSING`). Pure.
 * @example
 * listItems(config, lock).items.filter((i) => i.verdict === 'visible').map((i) => i.publicName) // ['fs__read_file']
 */
export const listItems = (
  config: Config,
  lock: Lock,
  only?: string,
  live?: ReadonlyMap<string, LiveServer>,
): Listing => {
  const allowlist = compileAllowlist(config);
  const namespace = namespaceOf(config);
  const detect = (config.content ?? CONTENT_DEFAULTS).detect;
  const engine = detect.enabled
    ? createEngine({ warnAt: detect.warnAt, blockAt: detect.blockAt })
    : undefined;
  // The detector scores shadowing against the other servers' tool names, as the gateway knows them.
  const toolNames = new Map(
    Object.entries(config.servers).map(([id, s]) => [
      id,
      [...s.tools.filter((t) => t !== '*'), ...Object.keys(lock.servers[id]?.tools ?? {})],
    ]),
  );
  // The check every (re)start runs on initialize: a block refuses the whole server.
  const checkInstructions = createInstructionsCheck(config);
  const refusal = (
    id: string,
    init: { instructions?: string | undefined; serverInfo: unknown },
  ): string | undefined => {
    try {
      checkInstructions(id, init);
      return undefined;
    } catch (error) {
      if (error instanceof GatewayError) return error.message;
      throw error;
    }
  };
  const items: ListedItem[] = [];
  const warnings: ListingWarning[] = [];
  for (const [id, server] of Object.entries(config.servers)) {
    if (only !== undefined && id !== only) continue;
    const locked = lock.servers[id];
    if (locked === undefined) {
      items.push({
        server: id,
        kind: 'server',
        name: id,
        publicName: '',
        description: '',
        verdict: 'hidden',
        code: 'LOCK_SERVER_MISSING',
        reason:
          'server not in the lock: not started, none of its items is listed; run toolgate lock',
      });
      continue;
    }
    const now = live?.get(id);
    if (now !== undefined && 'error' in now) {
      items.push({
        server: id,
        kind: 'server',
        name: id,
        publicName: '',
        description: '',
        verdict: 'hidden',
        code: now.error.code,
        reason: `did not start: ${now.error.message}`,
      });
      continue;
    }
    const refused = refusal(id, now ? now.captured.initialize : locked.initialize);
    if (refused !== undefined) {
      items.push({
        server: id,
        kind: 'server',
        name: id,
        publicName: '',
        description: '',
        verdict: 'hidden',
        code: 'DETECT_POISONED_INSTRUCTIONS',
        reason: `refused at start: ${refused}`,
      });
      continue;
    }
    // What the chain sees: the live lists with --live, else the locked definitions themselves.
    const seen = Object.fromEntries(
      ITEM_KIND_NAMES.map((k) => [
        k,
        now
          ? now.captured.items[k]
          : Object.fromEntries(Object.entries(locked[k]).map(([key, i]) => [key, i.definition])),
      ]),
    ) as Record<ItemKind, Record<string, Record<string, unknown>>>;
    const foreign = new Set(
      [...toolNames].filter(([other]) => other !== id).flatMap(([, names]) => names),
    );
    const flagged = engine
      ? new Map(
          screenCaptured(
            engine,
            id,
            { initialize: {}, items: seen },
            foreign,
            detect.definitions,
          ).map((f) => [f.item, f]),
        )
      : new Map<string, never>();
    const publicOf = (kind: ItemKind, key: string) =>
      KIND[kind].uri ? namespace.toPublicUri(id, key) : namespace.toPublic(id, key);
    for (const kind of ITEM_KIND_NAMES) {
      const k = KIND[kind];
      // untrusted: live definitions come from the server; the pins decide them as at runtime (a name listed twice differently is a mismatch).
      const states = now
        ? decideList(locked, kind, [
            ...Object.values(seen[kind]),
            ...(now.captured.relisted ?? []).filter((r) => r.kind === kind).map((r) => r.item),
          ]).states
        : undefined;
      const keys = [...new Set([...Object.keys(locked[kind]), ...Object.keys(seen[kind])])].sort(
        (a, b) => (a < b ? -1 : a > b ? 1 : 0),
      );
      for (const key of keys) {
        const definition = seen[kind][key] ?? locked[kind][key]?.definition ?? {};
        const base = {
          server: id,
          kind: k.listed,
          name: key,
          publicName: publicOf(kind, key),
          description: descriptionOf(definition),
        };
        if (!allowlist.allows(id, k.allow, key)) {
          items.push({
            ...base,
            verdict: 'hidden',
            code: DENY_CODE[k.allow],
            reason: `not in servers.${id}.${k.list}`,
          });
          continue;
        }
        const state = states?.get(key);
        if (states !== undefined && state === undefined) {
          items.push({
            ...base,
            verdict: 'hidden',
            reason: 'locked, but the server does not list it now',
          });
          continue;
        }
        if (state === 'PIN_HASH_MISMATCH' || state === 'PIN_MISSING') {
          const why =
            state === 'PIN_MISSING'
              ? 'listed now, not in the lock'
              : 'its live definition differs from the lock';
          items.push({
            ...base,
            verdict: 'hidden',
            code: state,
            reason: `${why} (toolgate diff, then approve)`,
          });
          continue;
        }
        const flag = flagged.get(`${kind}/${key}`);
        const why =
          flag &&
          `scored ${flag.score} by the content detector (${flag.reasons.map((r) => r.rule).join(', ')})`;
        if (flag?.action === 'block') {
          items.push({
            ...base,
            verdict: 'hidden',
            code: 'DETECT_POISONED_DEFINITION',
            reason: `${why}: hidden as poisoned`,
          });
          continue;
        }
        // The gateway drops, after the chain, an unprefixed server's name that carries another server's prefix (NS-3).
        if (!namespace.routesTo(id, base.publicName, k.uri ? 'uri' : 'name')) {
          items.push({
            ...base,
            verdict: 'hidden',
            reason: "carries another server's prefix: the gateway drops it (namespace: false)",
          });
          continue;
        }
        items.push({ ...base, verdict: 'visible', ...(why !== undefined && { warning: why }) });
      }
    }
    // Allowlisted names the lock lacks: if the server lists them, the pins hide them as new.
    for (const [list, kinds, allowKind] of [
      ['tools', ['tools'], 'tool'],
      ['prompts', ['prompts'], 'prompt'],
      ['resources', ['resources', 'resourceTemplates'], 'resource'],
    ] as const) {
      for (const entry of server[list]) {
        if (
          entry === '*' ||
          kinds.some(
            (kind) => Object.hasOwn(locked[kind], entry) || Object.hasOwn(seen[kind], entry),
          )
        )
          continue;
        const listedKind = allowKind === 'resource' ? 'resource' : allowKind;
        items.push({
          server: id,
          kind: listedKind,
          name: entry,
          publicName:
            allowKind === 'resource'
              ? namespace.toPublicUri(id, entry)
              : namespace.toPublic(id, entry),
          description: '',
          verdict: 'hidden',
          code: 'PIN_MISSING',
          reason: `in servers.${id}.${list} but not in the lock: a typo, or added since the lock (toolgate diff, then approve)`,
        });
        warnings.push({
          server: id,
          list,
          entry,
          message: `servers.${id}.${list} entry "${entry}" matches nothing the lock holds (typo?)`,
        });
      }
    }
  }
  return { items, warnings };
};
