import { DetectError } from '../errors.js';
import type { Message, Next, Result } from '../core/interceptor.js';
import { itemId, LIST_FIELDS, type ContentEventSink } from '../core/content-event.js';
import { definitionItem } from './collect.js';
import type { Engine } from './engine.js';
import type { Action, Verdict } from './types.js';

const MAX_LIST_PAGES = 100;

/** The strongest action the config allows on a surface; a block above it becomes a warn. */
export const cap = (verdict: Verdict, ceiling: 'warn' | 'block'): Action =>
  verdict.action === 'block' && ceiling === 'warn' ? 'warn' : verdict.action;

export type Report = (
  message: Message,
  verdict: Verdict,
  action: 'warn' | 'block' | 'hide',
  item?: string,
) => void;

/** A tool named like one of another server's is reported (shadowing), whatever its definition says. */
const collisions = (
  items: readonly Record<string, unknown>[],
  foreign: ReadonlySet<string>,
  message: Message,
  emit: ContentEventSink,
): void => {
  for (const t of items)
    if (typeof t['name'] === 'string' && foreign.has(t['name']))
      emit(
        {
          kind: 'content',
          defense: 'shadowing',
          action: 'warn',
          server: message.server,
          method: message.method,
          item: `tool:${t['name']}`,
          reasons: [{ rule: 'name-collision', span: t['name'] }],
        },
        message,
      );
};

/**
 * What the detector does to lists: scores every definition of every page (next to the other servers'
 * tools, for shadowing), hides the poisoned ones with an event, remembers them per server and refuses
 * calls to them, listing every page first when a call comes before any list.
 */
export const createListGuard = (
  engine: Engine,
  ceiling: 'warn' | 'block',
  emit: ContentEventSink,
  report: Report,
  knownTools: ReadonlyMap<string, readonly string[]>,
) => {
  /** Definitions hidden as poisoned, per server. */
  const hidden = new Map<string, Set<string>>();
  /** Tool names per server, from the config's exact allowlists and every list seen. */
  const tools = new Map<string, Set<string>>(
    [...knownTools].map(([s, names]) => [s, new Set(names)]),
  );
  const foreignTo = (server: string) =>
    new Set([...tools].filter(([s]) => s !== server).flatMap(([, names]) => [...names]));

  const filterList = (message: Message, result: Result): Result => {
    const kind = LIST_FIELDS[message.method];
    const list = kind && result[kind.field];
    if (!kind || !Array.isArray(list)) return result;
    const items = list.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object');
    const foreign = foreignTo(message.server);
    if (message.method === 'tools/list') {
      const mine = tools.get(message.server) ?? new Set<string>();
      for (const t of items) if (typeof t['name'] === 'string') mine.add(t['name']);
      tools.set(message.server, mine);
      collisions(items, foreign, message, emit);
    }
    const hiddenHere = new Set<string>();
    const kept = items.filter((definition) => {
      const id = itemId(message.method, definition);
      const verdict = engine.scan(definitionItem(definition, foreign));
      const action = cap(verdict, ceiling);
      if (action === 'pass') return true;
      if (action === 'warn') {
        report(message, verdict, 'warn', id);
        return true;
      }
      if (id) hiddenHere.add(id);
      report(message, verdict, 'hide', id);
      return false;
    });
    const seen = hidden.get(message.server) ?? new Set<string>();
    // A fresh full list replaces what was hidden; a later page only adds.
    if (result['nextCursor'] === undefined && message.params['cursor'] === undefined)
      hidden.set(message.server, hiddenHere);
    else hidden.set(message.server, new Set([...seen, ...hiddenHere]));
    return { ...result, [kind.field]: kept };
  };

  const refuseHidden = (message: Message) => {
    const name = message.params['name'];
    const id =
      message.method === 'tools/call'
        ? `tool:${String(name)}`
        : message.method === 'prompts/get'
          ? `prompt:${String(name)}`
          : undefined;
    if (id && hidden.get(message.server)?.has(id))
      throw new DetectError(
        'DETECT_POISONED_DEFINITION',
        `${id} was hidden: its definition looks poisoned`,
      );
  };

  /** Lists every page (bounded) of the kind a call names, so a poisoned item on a later page is hidden too. */
  const listFirst = async (message: Message, next: Next): Promise<void> => {
    const method = message.method === 'tools/call' ? 'tools/list' : 'prompts/list';
    let cursor: unknown;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const listing = { ...message, method, params: cursor === undefined ? {} : { cursor } };
      const result = await next(listing);
      filterList(listing, result);
      cursor = result['nextCursor'];
      if (typeof cursor !== 'string' || cursor.length === 0) return;
    }
  };

  return { hidden, filterList, refuseHidden, listFirst };
};
