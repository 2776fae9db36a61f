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

/** What one frame's inspection has found so far, and the parts it inspects with. */
interface Context {
  readonly engine: Engine;
  readonly content: ContentConfig;
  readonly scanner: SecretScanner;
  action: Action;
  readonly reasons: Reason[];
}

const add = (
  c: Context,
  v: Verdict | FrameVerdict,
  ceiling: 'warn' | 'block',
  prefix = '',
): void => {
  const a = capTo(v.action, ceiling);
  if (a === 'pass') return;
  c.action = worst(c.action, a);
  for (const r of v.reasons)
    c.reasons.push(prefix ? { rule: r.rule, span: `${prefix}: ${r.span}` } : r);
};

const secretsIn = (c: Context, value: unknown, onHit: Action): void => {
  const rules = new Set(stringsOf(value).flatMap((s) => c.scanner.scan(s).map((h) => h.rule)));
  if (rules.size > 0)
    add(
      c,
      { action: onHit, reasons: [...rules].map((rule) => ({ rule, span: '[REDACTED]' })) },
      'block',
    );
};

/** A request or notification: its arguments, a server's request to the client, credentials sent to a server. */
const inspectRequest = (c: Context, f: Obj): void => {
  const ceilings = c.content.detect;
  const method = typeof f['method'] === 'string' ? f['method'] : undefined;
  const params = obj(f['params']) ?? {};
  if (method === 'tools/call' || method === 'prompts/get')
    add(c, c.engine.scan(payloadItem('arguments', params['arguments'] ?? {})), ceilings.arguments);
  if (method === 'sampling/createMessage' || method === 'elicitation/create') {
    add(c, c.engine.scan(payloadItem('request', params)), ceilings.serverRequests);
    secretsIn(c, params, 'warn');
  } else if (method !== undefined && f['id'] !== undefined && method !== 'roots/list') {
    // A request to a server is refused with a credential anywhere in it, in any encoding (as the chain does).
    const leaks = leaksIn(c.scanner, params);
    if (leaks.length > 0)
      add(
        c,
        { action: 'block', reasons: leaks.map((rule) => ({ rule, span: '[REDACTED]' })) },
        'block',
      );
  }
};

/** A result: the definitions of a list, server instructions, or a tool result, resource or prompt. */
const inspectResult = (c: Context, result: Obj): void => {
  const ceilings = c.content.detect;
  const lists = ['tools', 'prompts', 'resources', 'resourceTemplates'].filter((k) =>
    Array.isArray(result[k]),
  );
  for (const k of lists)
    for (const item of result[k] as unknown[]) {
      const d = obj(item);
      const name =
        typeof d?.['name'] === 'string' ? d['name'] : typeof d?.['uri'] === 'string' ? d['uri'] : k;
      if (d) add(c, c.engine.scan(definitionItem(d)), ceilings.definitions, name);
    }
  const instructions = result['instructions'];
  if (typeof instructions === 'string')
    add(
      c,
      c.engine.scan(instructionsItem({ instructions, serverInfo: result['serverInfo'] })),
      ceilings.instructions,
    );
  if (lists.length > 0 || typeof instructions === 'string') return;
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
  add(c, c.engine.scan(payloadItem(surface, result)), ceiling);
  const uris = checkUris(result, c.content.output);
  if (!uris.ok)
    add(c, { action: 'block', reasons: [{ rule: uris.code, span: uris.message }] }, 'block');
  // A credential in a result is redacted by the gateway: forwarded, so a warning.
  secretsIn(c, result, 'warn');
};

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
  const inspectFrame = (frame: unknown): FrameVerdict => {
    const f = obj(frame);
    if (!f)
      return { action: 'block', reasons: [{ rule: 'invalid-frame', span: 'not a JSON object' }] };
    const c: Context = { engine, content, scanner, action: 'pass', reasons: [] };
    inspectRequest(c, f);
    const result = obj(f['result']);
    if (result) inspectResult(c, result);
    const error = obj(f['error']);
    if (error) add(c, engine.scan(payloadItem('output', error)), content.detect.toolResults);
    return { action: c.action, reasons: c.reasons };
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
