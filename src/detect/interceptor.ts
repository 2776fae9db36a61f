import { DetectError } from '../errors.js';
import type { Interceptor, Message } from '../core/interceptor.js';
import { payloadItem } from './collect.js';
import type { Engine } from './engine.js';
import { LIST_FIELDS, type ContentEventSink } from '../core/content-event.js';
import type { ContentConfig } from '../config/content-schema.js';
import type { Surface, Verdict } from './types.js';
import { cap, createListGuard, type Report } from './interceptor-lists.js';

type Ceilings = ContentConfig['detect'];

const RESULT_SURFACE: Readonly<Record<string, { surface: Surface; ceiling: keyof Ceilings }>> = {
  'tools/call': { surface: 'output', ceiling: 'toolResults' },
  'resources/read': { surface: 'resource', ceiling: 'resources' },
  'prompts/get': { surface: 'prompt', ceiling: 'prompts' },
};

/** Reports a verdict capped by `ceiling`; a block is refused with `code`. */
const judgeWith =
  (report: Report) =>
  (
    message: Message,
    verdict: Verdict,
    ceiling: 'warn' | 'block',
    code: 'DETECT_INJECTION' | 'DETECT_UNSAFE_ARGUMENTS',
    what: string,
  ): void => {
    const action = cap(verdict, ceiling);
    if (action === 'block') {
      report(message, verdict, 'block');
      throw new DetectError(code, `${what}: ${verdict.reasons.map((r) => r.rule).join(', ')}`);
    }
    if (action === 'warn') report(message, verdict, 'warn');
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
  const report: Report = (message, verdict, action, item) =>
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

  const { hidden, filterList, refuseHidden, listFirst } = createListGuard(
    engine,
    ceilings.definitions,
    emit,
    report,
    knownTools,
  );
  const judge = judgeWith(report);

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
      judge(
        message,
        verdict,
        ceilings.serverRequests,
        'DETECT_INJECTION',
        `${message.method} from ${message.server} refused`,
      );
      return next(message);
    }
    if (message.kind !== 'request') return next(message);
    const call = message.method === 'tools/call' || message.method === 'prompts/get';
    // A call before any list (a guessed name) still meets the definition check: list once first.
    if (call && !hidden.has(message.server)) await listFirst(message, next);
    refuseHidden(message);
    if (call) {
      const verdict = engine.scan(payloadItem('arguments', message.params['arguments'] ?? {}));
      judge(message, verdict, ceilings.arguments, 'DETECT_UNSAFE_ARGUMENTS', 'arguments refused');
    }
    const result = await next(message);
    if (message.method in LIST_FIELDS) return filterList(message, result);
    const where = RESULT_SURFACE[message.method];
    if (!where) return result;
    const verdict = engine.scan(payloadItem(where.surface, result));
    const ceiling = ceilings[where.ceiling] as 'warn' | 'block';
    judge(message, verdict, ceiling, 'DETECT_INJECTION', `result of ${message.method} refused`);
    return result;
  };
};
