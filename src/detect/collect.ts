import { ContentError } from '../errors.js';
import { isBinary, MAX_WALK_DEPTH } from '../core/map-strings.js';
import type { Item, Surface } from './types.js';

/**
 * Most strings (keys included) one walk reads: a cost cap well above the output limits' default
 * (`content.output.maxItems`); past it the value is refused, never scored on a prefix.
 */
const MAX_STRINGS = 1_000_000;

/**
 * Every string value and every property name of an untrusted JSON value, in order, except binary
 * payloads (`isBinary`): an injection may sit in any field (`data`, `type`, `_meta`) or in a key.
 * Throws CONTENT_TOO_COMPLEX past `MAX_WALK_DEPTH` or `MAX_STRINGS` (fail closed).
 */
export const stringsOf = (value: unknown, out: string[] = [], depth = 0): string[] => {
  if (typeof value === 'string') {
    if (out.push(value) > MAX_STRINGS)
      throw new ContentError(
        'CONTENT_TOO_COMPLEX',
        `more than ${MAX_STRINGS} strings; refused unread`,
      );
    return out;
  }
  if (typeof value !== 'object' || value === null) return out;
  if (depth > MAX_WALK_DEPTH)
    throw new ContentError(
      'CONTENT_TOO_COMPLEX',
      `value nested deeper than ${MAX_WALK_DEPTH}; refused unread`,
    );
  if (Array.isArray(value)) for (const v of value) stringsOf(v, out, depth + 1);
  else {
    const record = value as Record<string, unknown>;
    for (const k of Object.keys(record)) {
      stringsOf(k, out, depth + 1);
      if (!isBinary(record, k)) stringsOf(record[k], out, depth + 1);
    }
  }
  return out;
};

/** The parameter names of a tool definition, nested ones included. */
const paramsOf = (schema: unknown, out: string[] = [], depth = 0): string[] => {
  if (!schema || typeof schema !== 'object' || depth > 8) return out;
  const props = (schema as Record<string, unknown>)['properties'];
  if (props && typeof props === 'object')
    for (const [name, sub] of Object.entries(props)) {
      out.push(name);
      paramsOf(sub, out, depth + 1);
      paramsOf((sub as Record<string, unknown> | undefined)?.['items'], out, depth + 1);
    }
  return out;
};

const SUSPICIOUS_WORDS: ReadonlySet<string> = new Set([
  'system',
  'prompt',
  'conversation',
  'history',
  'chat',
  'llm',
  'model',
  'assistant',
  'secret',
  'credential',
  'credentials',
  'password',
  'key',
  'token',
  'messages',
  'context',
  'notes',
  'hidden',
  'internal',
]);
const words = (name: string): string[] =>
  name
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

/**
 * Parameters that are out of scope for the tool: a name about the model, the conversation or
 * secrets is normal when the tool itself is about that (`prompt_set(system_prompt)`), suspicious
 * otherwise (`get_weather(system_prompt)`).
 */
const outOfScope = (toolName: unknown, params: readonly string[]): string[] => {
  // Singular and plural are one word: `private_keys(private_key)` is about keys.
  const stem = (w: string) => w.replace(/s$/, '');
  const own = new Set(typeof toolName === 'string' ? words(toolName).map(stem) : []);
  return params.filter((p) => !words(p).some((w) => SUSPICIOUS_WORDS.has(w) && own.has(stem(w))));
};

/** A tool, prompt, resource or template definition: all its strings, and a tool's parameter names. */
export const definitionItem = (
  definition: Record<string, unknown>,
  foreignTools?: ReadonlySet<string>,
): Item => ({
  surface: 'definition',
  strings: stringsOf(definition),
  params: outOfScope(definition['name'], [
    ...paramsOf(definition['inputSchema']),
    ...paramsOf(definition['outputSchema']),
  ]),
  ...(foreignTools && { foreignTools }),
  ...(typeof definition['name'] === 'string' && { name: definition['name'] }),
});

/** Any other payload (result, request params, arguments) as one item of `surface`. */
export const payloadItem = (surface: Surface, value: unknown): Item => ({
  surface,
  strings: stringsOf(value),
});
