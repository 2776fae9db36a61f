import type { Reason } from '../core/content-event.js';
import type { Verdict, Action } from './types.js';
import { definitionItem, payloadItem, stringsOf } from './collect.js';
import type { Engine } from './engine.js';
import { CONTENT_DEFAULTS, type ContentConfig } from '../config/content-schema.js';
import { instructionsItem } from './instructions.js';
import { createSecretScanner, type SecretScanner } from '../secrets/scan.js';
import { leaksIn } from '../secrets/outbound.js';
import { ContentError } from '../errors.js';
import { checkUris } from '../output/validate.js';

/** The verdict on one JSON-RPC frame, as `toolgate inspect` and external guard benchmarks see it. */
interface FrameVerdict {
  readonly action: Action;
  readonly reasons: readonly Reason[];
}

const RANK: Record<Action, number> = { pass: 0, warn: 1, block: 2 };
const worst = (a: Action, b: Action): Action => (RANK[a] >= RANK[b] ? a : b);
const capTo = (action: Action, ceiling: 'warn' | 'block'): Action =>
  action === 'block' && ceiling === 'warn' ? 'warn' : action;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;

export interface FrameInspector {
  inspect(frame: unknown): FrameVerdict;
}

/**
 * Applies the gateway's content defenses to one frame offline: the same engine, ceilings, secret
 * scanner and URI checks the chain uses, without an upstream.
 * @example
 * createFrameInspector(createEngine()).inspect({ jsonrpc: '2.0', id: 1, result: { content: [...] } })
 */
export const createFrameInspector = (
  engine: Engine,
  content: ContentConfig = CONTENT_DEFAULTS,
  scanner: SecretScanner = createSecretScanner([]),
): FrameInspector => {
  const ceilings = content.detect;
  const inspectFrame = (frame: unknown): FrameVerdict => {
    let action: Action = 'pass';
    const reasons: Reason[] = [];
    const add = (v: Verdict | FrameVerdict, ceiling: 'warn' | 'block', prefix = '') => {
      const a = capTo(v.action, ceiling);
      if (a === 'pass') return;
      action = worst(action, a);
      for (const r of v.reasons)
        reasons.push(prefix ? { rule: r.rule, span: `${prefix}: ${r.span}` } : r);
    };
    const secretsIn = (value: unknown, onHit: Action) => {
      const rules = new Set(stringsOf(value).flatMap((s) => scanner.scan(s).map((h) => h.rule)));
      if (rules.size > 0)
        add(
          { action: onHit, reasons: [...rules].map((rule) => ({ rule, span: '[REDACTED]' })) },
          'block',
        );
    };
    const f = obj(frame);
    if (!f)
      return { action: 'block', reasons: [{ rule: 'invalid-frame', span: 'not a JSON object' }] };
    const method = typeof f['method'] === 'string' ? f['method'] : undefined;
    const params = obj(f['params']) ?? {};
    if (method === 'tools/call' || method === 'prompts/get')
      add(engine.scan(payloadItem('arguments', params['arguments'] ?? {})), ceilings.arguments);
    if (method === 'sampling/createMessage' || method === 'elicitation/create') {
      add(engine.scan(payloadItem('request', params)), ceilings.serverRequests);
      secretsIn(params, 'warn');
    } else if (method !== undefined && f['id'] !== undefined && method !== 'roots/list') {
      // A request to a server is refused with a credential anywhere in it, in any encoding (as the chain does).
      const leaks = leaksIn(scanner, params);
      if (leaks.length > 0)
        add(
          { action: 'block', reasons: leaks.map((rule) => ({ rule, span: '[REDACTED]' })) },
          'block',
        );
    }
    const result = obj(f['result']);
    if (result) {
      const lists = ['tools', 'prompts', 'resources', 'resourceTemplates'].filter((k) =>
        Array.isArray(result[k]),
      );
      for (const k of lists)
        for (const item of result[k] as unknown[]) {
          const d = obj(item);
          if (d)
            add(
              engine.scan(definitionItem(d)),
              ceilings.definitions,
              typeof d['name'] === 'string'
                ? d['name']
                : typeof d['uri'] === 'string'
                  ? d['uri']
                  : k,
            );
        }
      if (typeof result['instructions'] === 'string')
        add(
          engine.scan(
            instructionsItem({
              instructions: result['instructions'],
              serverInfo: result['serverInfo'],
            }),
          ),
          ceilings.instructions,
        );
      if (lists.length === 0 && typeof result['instructions'] !== 'string') {
        const surface = Array.isArray(result['messages'])
          ? 'prompt'
          : Array.isArray(result['contents'])
            ? 'resource'
            : 'output';
        const ceiling =
          surface === 'prompt'
            ? ceilings.prompts
            : surface === 'resource'
              ? ceilings.resources
              : ceilings.toolResults;
        add(engine.scan(payloadItem(surface, result)), ceiling);
        const uris = checkUris(result, content.output);
        if (!uris.ok)
          add({ action: 'block', reasons: [{ rule: uris.code, span: uris.message }] }, 'block');
        // A credential in a result is redacted by the gateway: forwarded, so a warning.
        secretsIn(result, 'warn');
      }
    }
    const error = obj(f['error']);
    if (error) add(engine.scan(payloadItem('output', error)), ceilings.toolResults);
    return { action, reasons };
  };
  return {
    inspect(frame) {
      try {
        return inspectFrame(frame);
      } catch (error) {
        // The walk refuses what it cannot read whole (CONTENT_TOO_COMPLEX, CONTENT_KEY_COLLISION): so does the gateway.
        if (error instanceof ContentError)
          return { action: 'block', reasons: [{ rule: error.code, span: error.message }] };
        throw error;
      }
    },
  };
};
