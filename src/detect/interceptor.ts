import { DetectError } from '../errors.js';
import type { Interceptor, Message, Next, Result } from '../core/interceptor.js';
import { definitionItem, payloadItem } from './collect.js';
import type { Engine } from './engine.js';
import { itemId, LIST_FIELDS, type ContentEventSink } from '../core/content-event.js';
import type { ContentConfig } from '../config/content-schema.js';
import type { Action, Surface, Verdict } from './types.js';

type Ceilings = ContentConfig['detect'];
const MAX_LIST_PAGES = 100;

/** The strongest action the config allows on a surface; a block above it becomes a warn. */
const cap = (verdict: Verdict, ceiling: 'warn' | 'block'): Action =>
  verdict.action === 'block' && ceiling === 'warn' ? 'warn' : verdict.action;

const RESULT_SURFACE: Readonly<Record<string, { surface: Surface; ceiling: keyof Ceilings }>> = {
  'tools/call': { surface: 'output', ceiling: 'toolResults' },
  'resources/read': { surface: 'resource', ceiling: 'resources' },
  'prompts/get': { surface: 'prompt', ceiling: 'prompts' },
};

/**
 * Runs the detection engine where attacker text reaches the model: every list (a poisoned
 * definition is hidden, with an event, and calls to it are refused), every tool result, resource
 * read and prompt, every server→client request, and the arguments of every call.
 * @example
 * createChain(...) // [..., detectInjection(createEngine(), config.detect, sink)]
 */
export const detectInjection = (
  engine: Engine,
  ceilings: Ceilings,
  emit: ContentEventSink,
  knownTools: ReadonlyMap<string, readonly string[]> = new Map(),
): Interceptor => {
  /** Definitions hidden as poisoned, per server. */
  const hidden = new Map<string, Set<string>>();
  /** Tool names per server, from the config's exact allowlists and every list seen. */
  const tools = new Map<string, Set<string>>(
    [...knownTools].map(([s, names]) => [s, new Set(names)]),
  );
  const foreignTo = (server: string) =>
    new Set([...tools].filter(([s]) => s !== server).flatMap(([, names]) => [...names]));

  const report = (
    message: Message,
    verdict: Verdict,
    action: 'warn' | 'block' | 'hide',
    item?: string,
  ) =>
    emit(
      {
        kind: 'content',
        defense: 'detect',
        action,
        server: message.server,
        method: message.method,
        ...(item && { item }),
        reasons: verdict.reasons,
      },
      message,
    );

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
    }
    const hiddenHere = new Set<string>();
    const kept = items.filter((definition) => {
      const id = itemId(message.method, definition);
      const verdict = engine.scan(definitionItem(definition, foreign));
      const action = cap(verdict, ceilings.definitions);
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

  return async function detectInjection(message, next) {
    // Server→client notifications (logs, progress, an upstream's error text) are scored like its requests.
    if (message.direction === 'to-client') {
      // A log's text is its `data`, which the walk skips as a binary payload elsewhere.
      const { data, ...rest } = message.params;
      const verdict = engine.scan(
        payloadItem(
          'request',
          message.kind === 'notification' ? { ...rest, text: data } : message.params,
        ),
      );
      const action = cap(verdict, ceilings.serverRequests);
      if (action === 'block') {
        report(message, verdict, 'block');
        throw new DetectError(
          'DETECT_INJECTION',
          `${message.method} from ${message.server} refused: ${verdict.reasons.map((r) => r.rule).join(', ')}`,
        );
      }
      if (action === 'warn') report(message, verdict, 'warn');
      return next(message);
    }
    if (message.kind !== 'request') return next(message);
    // A call before any list (a guessed name) still meets the definition check: list once first.
    if (
      (message.method === 'tools/call' || message.method === 'prompts/get') &&
      !hidden.has(message.server)
    )
      await listFirst(message, next);
    refuseHidden(message);
    if (message.method === 'tools/call' || message.method === 'prompts/get') {
      const verdict = engine.scan(payloadItem('arguments', message.params['arguments'] ?? {}));
      const action = cap(verdict, ceilings.arguments);
      if (action === 'block') {
        report(message, verdict, 'block');
        throw new DetectError(
          'DETECT_UNSAFE_ARGUMENTS',
          `arguments refused: ${verdict.reasons.map((r) => r.rule).join(', ')}`,
        );
      }
      if (action === 'warn') report(message, verdict, 'warn');
    }
    const result = await next(message);
    if (message.method in LIST_FIELDS) return filterList(message, result);
    const where = RESULT_SURFACE[message.method];
    if (!where) return result;
    const verdict = engine.scan(payloadItem(where.surface, result));
    const action = cap(verdict, ceilings[where.ceiling] as 'warn' | 'block');
    if (action === 'block') {
      report(message, verdict, 'block');
      throw new DetectError(
        'DETECT_INJECTION',
        `result of ${message.method} refused: ${verdict.reasons.map((r) => r.rule).join(', ')}`,
      );
    }
    if (action === 'warn') report(message, verdict, 'warn');
    return result;
  };
};
