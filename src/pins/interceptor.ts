import {
  PinError,
  type AdvisoryErrorCode,
  type PackageErrorCode,
  type SandboxErrorCode,
} from '../errors.js';
import type { Interceptor, Message, Next, Result } from '../core/interceptor.js';
import { decideList, findRenames, type PinCode, type PinFinding } from './decide.js';
import { hashItem, ITEM_KINDS, itemKey, kindOfListMethod, type ItemKind } from './hash.js';
import type { Lock } from './lock.js';

/** A visible warning: a live definition (or the server's initialize) differs from the lock. */
export interface PinEvent {
  readonly kind: 'pin';
  readonly server: string;
  /** `tools/<name>`, `prompts/<name>`, `resources/<uri>`, `resourceTemplates/<template>`, `initialize`, `package`, `advisories` or `arguments`. */
  readonly item: string;
  readonly code:
    | PinCode
    | PackageErrorCode
    | Extract<AdvisoryErrorCode, 'ADVISORY_REFUSED' | 'ADVISORY_UNCHECKED'>
    | Extract<SandboxErrorCode, 'SANDBOX_ARGUMENT_CHANGED'>;
  readonly message: string;
  readonly renamedFrom?: string;
}

const CALLS: Readonly<Record<string, { kind: ItemKind; param: 'name' | 'uri' }>> = {
  'tools/call': { kind: 'tools', param: 'name' },
  'prompts/get': { kind: 'prompts', param: 'name' },
  'resources/read': { kind: 'resources', param: 'uri' },
  'resources/subscribe': { kind: 'resources', param: 'uri' },
};
const CHANGED: Readonly<Record<string, readonly ItemKind[]>> = {
  'notifications/tools/list_changed': ['tools'],
  'notifications/prompts/list_changed': ['prompts'],
  'notifications/resources/list_changed': ['resources', 'resourceTemplates'],
};
const MAX_REFRESH_PAGES = 100;

/** The listing in progress of one server and kind: every item of its pages so far, and their findings. */
interface Listing {
  readonly items: Map<string, Record<string, unknown>>;
  readonly findings: PinFinding[];
}

/** What the interceptor knows between calls, per server and kind (`server\0kind`). */
interface Pins {
  readonly lock: Lock;
  readonly onEvent: (event: PinEvent, message?: Message) => void;
  /** Each item's state as last listed. */
  readonly states: Map<string, Map<string, 'ok' | PinCode>>;
  /** Lists not verified since the start or a list_changed. */
  readonly stale: Set<string>;
  /** The warnings already given, so each is given once. */
  readonly reported: Set<string>;
  readonly listings: Map<string, Listing>;
}

const stateOf = (pins: Pins, server: string, kind: ItemKind) => {
  const id = `${server}\0${kind}`;
  let map = pins.states.get(id);
  if (!map) {
    pins.states.set(id, (map = new Map<string, 'ok' | PinCode>()));
    pins.stale.add(id);
  }
  return { id, map };
};

const report = (
  pins: Pins,
  message: Message,
  kind: ItemKind,
  finding: PinFinding,
  renamedFrom: string | undefined,
): void => {
  const { server } = message;
  const once = `${server}\0${kind}\0${finding.key}\0${finding.sha256}\0${renamedFrom ?? ''}`;
  if (pins.reported.has(once)) return;
  pins.reported.add(once);
  pins.onEvent(
    {
      kind: 'pin',
      server,
      item: `${kind}/${finding.key}`,
      code: finding.code,
      message:
        renamedFrom !== undefined
          ? `${kind} "${renamedFrom}" reappeared renamed as "${finding.key}" with a near-identical definition: hidden until approved`
          : finding.code === 'PIN_HASH_MISMATCH'
            ? `${kind} "${finding.key}" changed since it was locked: hidden and refused (toolgate diff shows what changed)`
            : `${kind} "${finding.key}" is not in the lock: hidden and refused until approved`,
      ...(renamedFrom !== undefined && { renamedFrom }),
    },
    message,
  );
};

/** Reports the findings of a listing once its last page is in (or a new listing starts), renames judged over all its pages. */
const finish = (pins: Pins, message: Message, kind: ItemKind, id: string): void => {
  const listing = pins.listings.get(id);
  if (!listing) return;
  pins.listings.delete(id);
  const renames = findRenames(pins.lock.servers[message.server], kind, listing.items);
  for (const finding of listing.findings)
    report(pins, message, kind, finding, renames.get(finding.key));
};

/**
 * Adds a page's items to its listing; returns the names an earlier page listed with another
 * definition: ambiguous, so refused (as within one page).
 */
const addPage = (listing: Listing, kind: ItemKind, list: readonly unknown[]): Set<string> => {
  const relisted = new Set<string>();
  for (const item of list) {
    // untrusted: listed items come from the server; only objects with a usable key count.
    if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
    const key = itemKey(kind, item as Record<string, unknown>);
    if (key === undefined) continue;
    const earlier = listing.items.get(key);
    if (earlier !== undefined && hashItem(earlier) !== hashItem(item)) relisted.add(key);
    if (earlier === undefined) listing.items.set(key, item as Record<string, unknown>);
  }
  return relisted;
};

/** Compares one page of a list result with the lock: records the states, hides what is not pinned. */
const check = (pins: Pins, message: Message, kind: ItemKind, result: Result): Result => {
  const field = ITEM_KINDS[kind].field;
  const list = result[field];
  if (!Array.isArray(list)) return result;
  const locked = pins.lock.servers[message.server];
  const verdict = decideList(locked, kind, list);
  const { id, map } = stateOf(pins, message.server, kind);
  if (message.params['cursor'] === undefined) {
    pins.stale.delete(id);
    finish(pins, message, kind, id); // an unfinished earlier listing: report what it had
    pins.listings.set(id, { items: new Map(), findings: [] });
  }
  let listing = pins.listings.get(id);
  if (!listing) pins.listings.set(id, (listing = { items: new Map(), findings: [] }));
  const relisted = addPage(listing, kind, list);
  listing.findings.push(...verdict.findings);
  for (const [key, state] of verdict.states) map.set(key, state);
  for (const key of relisted)
    map.set(key, locked?.[kind][key] ? 'PIN_HASH_MISMATCH' : 'PIN_MISSING');
  const next = result['nextCursor'];
  if (typeof next !== 'string' || next.length === 0) finish(pins, message, kind, id);
  const kept =
    relisted.size === 0
      ? verdict.kept
      : verdict.kept.filter((item) => !relisted.has(itemKey(kind, item) ?? ''));
  return { ...result, [field]: kept };
};

/** Re-lists one kind through the rest of the chain (not back to the client) to refresh its states. */
const refresh = async (pins: Pins, message: Message, kind: ItemKind, next: Next): Promise<void> => {
  let cursor: unknown;
  for (let page = 0; page < MAX_REFRESH_PAGES; page++) {
    const params = cursor === undefined ? {} : { cursor };
    const listing: Message = {
      kind: 'request',
      direction: 'to-server',
      method: ITEM_KINDS[kind].method,
      params,
      server: message.server,
      principal: message.principal,
      signal: message.signal,
      ...(message.audit && { audit: message.audit }),
    };
    const result = await next(listing);
    check(pins, listing, kind, result);
    cursor = result['nextCursor'];
    if (typeof cursor !== 'string' || cursor.length === 0) return;
  }
};

/** Throws unless the item called is pinned and unchanged, re-listing first when its list is stale. */
const assertCallable = async (
  pins: Pins,
  message: Message,
  kind: ItemKind,
  key: unknown,
  next: Next,
): Promise<void> => {
  const locked = pins.lock.servers[message.server];
  if (typeof key !== 'string') return; // the upstream refuses a malformed call itself
  if (!locked?.[kind][key]) {
    // A resource read may come from a locked template: its URIs cannot be enumerated.
    if (kind === 'resources' && locked && Object.keys(locked.resourceTemplates).length > 0) return;
    throw new PinError(
      'PIN_MISSING',
      `${kind} "${key}" of server "${message.server}" is not in toolgate.lock`,
    );
  }
  const { id, map } = stateOf(pins, message.server, kind);
  if (pins.stale.has(id)) await refresh(pins, message, kind, next);
  if (map.get(key) === 'PIN_HASH_MISMATCH')
    throw new PinError(
      'PIN_HASH_MISMATCH',
      `${kind} "${key}" of server "${message.server}" changed since it was locked; review with toolgate diff`,
    );
};

/**
 * Defense 2: the lockfile pins. Every list result (per server, per page) is compared with the lock:
 * changed items are hidden and calls to them fail with PIN_HASH_MISMATCH, unknown items are hidden
 * and fail with PIN_MISSING, each reported once as a warning event. Until a server's list has been
 * verified (at start, and again after every list_changed), a call first re-lists through the rest
 * of the chain, so a definition swapped behind the client's back is caught before the call runs.
 * Renames are judged over a server's whole list (every page of one listing, from the first page to
 * the one without `nextCursor`), so an item on page 2 is never mistaken for vanished from page 1,
 * and again on every later listing, so a rename done in steps across `list_changed` is still one.
 * @example
 * const chain = [enforceAllowlist(allowlist), verifyPins(lock, onEvent)];
 */
export const verifyPins = (
  lock: Lock,
  onEvent: (event: PinEvent, message?: Message) => void = () => undefined,
): Interceptor => {
  const pins: Pins = {
    lock,
    onEvent,
    states: new Map(),
    stale: new Set(),
    reported: new Set(),
    listings: new Map(),
  };
  return async function verifyPins(message, next) {
    if (message.kind === 'notification') {
      // untrusted: the method is the server's; "constructor" must not find Object.prototype's members.
      const changed = Object.hasOwn(CHANGED, message.method) ? CHANGED[message.method] : undefined;
      for (const kind of changed ?? []) pins.stale.add(stateOf(pins, message.server, kind).id);
      return next(message);
    }
    if (message.direction !== 'to-server') return next(message);
    const listed = kindOfListMethod(message.method);
    if (listed) return check(pins, message, listed, await next(message));
    const call = Object.hasOwn(CALLS, message.method) ? CALLS[message.method] : undefined;
    if (call) await assertCallable(pins, message, call.kind, message.params[call.param], next);
    return next(message);
  };
};
