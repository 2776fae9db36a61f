import { compileAllowlist } from '../allowlist/compile.js';
import { CONTENT_DEFAULTS } from '../config/content-schema.js';
import type { Config, ServerConfig } from '../config/schema.js';
import { createEngine } from '../detect/engine.js';
import { GatewayError } from '../errors.js';
import { createInstructionsCheck } from '../gateway/instructions-check.js';
import { namespaceOf } from '../gateway/namespace.js';
import type { Namespace } from '../gateway/namespace.js';
import type { Captured } from '../pins/diff.js';
import { decideList } from '../pins/decide.js';
import { ITEM_KIND_NAMES, type ItemKind } from '../pins/hash.js';
import type { Lock, LockServer } from '../pins/lock.js';
import { screenCaptured, type Flagged } from '../pins/screen.js';
import {
  KIND,
  type ListedItem,
  type Listing,
  type ListingWarning,
  type LiveServer,
} from './types.js';
import { itemVerdict } from './verdict.js';

export type { Listing, LiveServer } from './types.js';

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
  const context = createListContext(config, lock);
  const items: ListedItem[] = [];
  const warnings: ListingWarning[] = [];
  for (const [id, server] of Object.entries(config.servers)) {
    if (only !== undefined && id !== only) continue;
    const locked = lock.servers[id];
    if (locked === undefined) {
      items.push(
        serverItem(
          id,
          'LOCK_SERVER_MISSING',
          'server not in the lock: not started, none of its items is listed; run toolgate lock',
        ),
      );
      continue;
    }
    const now = live?.get(id);
    if (now !== undefined && 'error' in now) {
      items.push(serverItem(id, now.error.code, `did not start: ${now.error.message}`));
      continue;
    }
    const refused = context.refusal(id, now ? now.captured.initialize : locked.initialize);
    if (refused !== undefined) {
      items.push(serverItem(id, 'DETECT_POISONED_INSTRUCTIONS', `refused at start: ${refused}`));
      continue;
    }
    const seen = seenOf(locked, now?.captured);
    items.push(...listServer(context, id, locked, seen, now?.captured));
    const unlocked = unlockedEntries(context.namespace, id, server, locked, seen);
    items.push(...unlocked.items);
    warnings.push(...unlocked.warnings);
  }
  return { items, warnings };
};

/** What listing every server shares: the gateway's own allowlist, namespace, detector and start check. */
const createListContext = (config: Config, lock: Lock) => {
  const detect = (config.content ?? CONTENT_DEFAULTS).detect;
  // The check every (re)start runs on initialize: a block refuses the whole server.
  const checkInstructions = createInstructionsCheck(config);
  return {
    allowlist: compileAllowlist(config),
    namespace: namespaceOf(config),
    detect,
    engine: detect.enabled
      ? createEngine({ warnAt: detect.warnAt, blockAt: detect.blockAt })
      : undefined,
    // The detector scores shadowing against the other servers' tool names, as the gateway knows them.
    toolNames: new Map(
      Object.entries(config.servers).map(([id, s]) => [
        id,
        [...s.tools.filter((t) => t !== '*'), ...Object.keys(lock.servers[id]?.tools ?? {})],
      ]),
    ),
    refusal: (
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
    },
  };
};
type ListContext = ReturnType<typeof createListContext>;
type Seen = Record<ItemKind, Record<string, Record<string, unknown>>>;

/** A server none of whose items is listed, and why. */
const serverItem = (id: string, code: string, reason: string): ListedItem => ({
  server: id,
  kind: 'server',
  name: id,
  publicName: '',
  description: '',
  verdict: 'hidden',
  code,
  reason,
});

/** What the chain sees: the live lists with --live, else the locked definitions themselves. */
const seenOf = (locked: LockServer, now: Captured | undefined): Seen => {
  const seen = {} as Seen;
  for (const k of ITEM_KIND_NAMES)
    seen[k] = now
      ? now.items[k]
      : Object.fromEntries(Object.entries(locked[k]).map(([key, i]) => [key, i.definition]));
  return seen;
};

/** Every item of one server the lock holds or the server lists now, with its verdict. */
const listServer = (
  context: ListContext,
  id: string,
  locked: LockServer,
  seen: Seen,
  now: Captured | undefined,
): ListedItem[] => {
  const { namespace, engine, detect, toolNames } = context;
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
    : new Map<string, Flagged>();
  const items: ListedItem[] = [];
  for (const kind of ITEM_KIND_NAMES) {
    // untrusted: live definitions come from the server; the pins decide them as at runtime (a name listed twice differently is a mismatch).
    const states = now
      ? decideList(locked, kind, [
          ...Object.values(seen[kind]),
          ...(now.relisted ?? []).filter((r) => r.kind === kind).map((r) => r.item),
        ]).states
      : undefined;
    const keys = [...new Set([...Object.keys(locked[kind]), ...Object.keys(seen[kind])])].sort(
      (a, b) => (a < b ? -1 : a > b ? 1 : 0),
    );
    const itemContext = { id, allowlist: context.allowlist, namespace, states, flagged };
    for (const key of keys) {
      const definition = seen[kind][key] ?? locked[kind][key]?.definition ?? {};
      const base = {
        server: id,
        kind: KIND[kind].listed,
        name: key,
        publicName: KIND[kind].uri ? namespace.toPublicUri(id, key) : namespace.toPublic(id, key),
        description: descriptionOf(definition),
      };
      items.push(itemVerdict(itemContext, kind, key, base));
    }
  }
  return items;
};

/** Allowlisted names the lock lacks: if the server lists them, the pins hide them as new. */
const unlockedEntries = (
  namespace: Namespace,
  id: string,
  server: ServerConfig,
  locked: LockServer,
  seen: Seen,
): { items: ListedItem[]; warnings: ListingWarning[] } => {
  const items: ListedItem[] = [];
  const warnings: ListingWarning[] = [];
  for (const [list, kinds, allowKind] of [
    ['tools', ['tools'], 'tool'],
    ['prompts', ['prompts'], 'prompt'],
    ['resources', ['resources', 'resourceTemplates'], 'resource'],
  ] as const) {
    for (const entry of server[list]) {
      if (
        entry === '*' ||
        kinds.some((kind) => Object.hasOwn(locked[kind], entry) || Object.hasOwn(seen[kind], entry))
      )
        continue;
      items.push({
        server: id,
        kind: allowKind,
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
  return { items, warnings };
};
