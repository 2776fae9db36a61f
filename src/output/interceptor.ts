import type { ContentEventSink } from '../core/content-event.js';
import { OutputError } from '../errors.js';
import type { Interceptor, Message, Next } from '../core/interceptor.js';
import {
  checkUris,
  createSchemaValidator,
  measure,
  type OutputCheck,
  type OutputLimits,
} from './validate.js';

const CHECKED: ReadonlySet<string> = new Set(['tools/call', 'resources/read', 'prompts/get']);
const MAX_PAGES = 20;

/**
 * Fails closed on results that break their contract: structuredContent against the tool's
 * outputSchema (learned from the tools/list results that pass the chain, fetched once if the agent
 * calls before listing), size/depth/item caps and denied URI schemes. Never a partial forward.
 * @example
 * validateOutput(config.content.output, sink)
 */
export const validateOutput = (limits: OutputLimits, emit: ContentEventSink): Interceptor => {
  const validator = createSchemaValidator(limits.maxSchemaBytes);
  /** outputSchema per server and tool; a server absent here was never listed. */
  const schemas = new Map<string, Map<string, unknown>>();

  const learn = (server: string, tools: unknown, fresh: boolean) => {
    const map = fresh
      ? new Map<string, unknown>()
      : (schemas.get(server) ?? new Map<string, unknown>());
    if (Array.isArray(tools))
      for (const t of tools as Record<string, unknown>[])
        if (t && typeof t['name'] === 'string') map.set(t['name'], t['outputSchema']);
    schemas.set(server, map);
  };

  const fetchSchemas = async (message: Message, next: Next) => {
    let cursor: unknown;
    for (let page = 0; page < MAX_PAGES; page++) {
      const list = await next({
        ...message,
        method: 'tools/list',
        params: cursor === undefined ? {} : { cursor },
      });
      learn(message.server, list['tools'], page === 0);
      cursor = list['nextCursor'];
      if (typeof cursor !== 'string' || cursor.length === 0) return;
    }
  };

  const fail = (message: Message, check: OutputCheck & { ok: false }): never => {
    emit(
      {
        kind: 'content',
        defense: 'output',
        action: 'block',
        server: message.server,
        method: message.method,
        reasons: [{ rule: check.code, span: check.message }],
      },
      message,
    );
    throw new OutputError(check.code, check.message);
  };

  return async function validateOutput(message, next) {
    if (message.kind !== 'request' || message.direction !== 'to-server') return next(message);
    if (message.method === 'tools/call' && !schemas.has(message.server))
      await fetchSchemas(message, next);
    const result = await next(message);
    if (message.method === 'tools/list')
      learn(message.server, result['tools'], message.params['cursor'] === undefined);
    if (!CHECKED.has(message.method)) return result;
    const size = measure(result, limits);
    if (!size.ok) fail(message, size);
    const uris = checkUris(result, limits);
    if (!uris.ok) fail(message, uris);
    if (message.method === 'tools/call') {
      const schema = schemas.get(message.server)?.get(String(message.params['name']));
      const valid = validator.check(schema, result);
      if (!valid.ok) fail(message, valid);
    }
    return result;
  };
};
