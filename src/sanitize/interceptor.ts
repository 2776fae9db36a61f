import { LIST_FIELDS, itemId, type ContentEventSink } from '../core/content-event.js';
import { SanitizeError } from '../errors.js';
import type { Interceptor, Message } from '../core/interceptor.js';
import { mapStrings } from '../core/map-strings.js';
import { mayHideText, stripHidden, type HiddenKind } from './hidden.js';

const TEXT_RESULTS: ReadonlySet<string> = new Set([
  'tools/call',
  'resources/read',
  'prompts/get',
  ...Object.keys(LIST_FIELDS),
]);

interface Tally {
  count: number;
  kinds: Set<HiddenKind>;
}

/** An untrusted value with hidden code points stripped from every string and key (binary payloads aside); the same value when it has none. */
export const stripValue = (value: unknown, tally: Tally): unknown =>
  mapStrings(value, (text) => {
    if (!mayHideText(text)) return text;
    const s = stripHidden(text);
    if (s.count === 0) return text;
    tally.count += s.count;
    for (const k of s.kinds) tally.kinds.add(k);
    return s.text;
  });

/**
 * Strips (or, in `block` mode, refuses) ANSI escapes, zero-width, bidi, tag and other invisible
 * characters in everything a server sends towards the model; always reported. In block mode a
 * list keeps its clean items and hides the others.
 * @example
 * sanitizeText('strip', sink)
 */
export const sanitizeText = (mode: 'strip' | 'block', emit: ContentEventSink): Interceptor =>
  async function sanitizeText(message, next) {
    const report = (m: Message, tally: Tally, action: 'strip' | 'block' | 'hide', item?: string) =>
      emit(
        {
          kind: 'content',
          defense: 'sanitize',
          action,
          server: m.server,
          method: m.method,
          ...(item && { item }),
          reasons: [
            { rule: 'hidden-characters', span: `${tally.count} × ${[...tally.kinds].join(', ')}` },
          ],
        },
        m,
      );
    // Server→client notifications (logs, progress, an upstream's error text) are checked like its requests.
    if (message.direction === 'to-client') {
      const tally: Tally = { count: 0, kinds: new Set() };
      const params = stripValue(message.params, tally) as Record<string, unknown>;
      if (tally.count === 0) return next(message);
      report(message, tally, mode === 'block' ? 'block' : 'strip');
      if (mode === 'block')
        throw new SanitizeError(
          'SANITIZE_HIDDEN_TEXT',
          `${message.method} holds ${tally.count} hidden character(s)`,
        );
      return next({ ...message, params });
    }
    if (message.kind !== 'request') return next(message);
    const result = await next(message);
    if (!TEXT_RESULTS.has(message.method)) return result;
    const list = LIST_FIELDS[message.method];
    if (list && mode === 'block' && Array.isArray(result[list.field])) {
      const kept = (result[list.field] as Record<string, unknown>[]).filter((item) => {
        const tally: Tally = { count: 0, kinds: new Set() };
        stripValue(item, tally);
        if (tally.count > 0) report(message, tally, 'hide', itemId(message.method, item));
        return tally.count === 0;
      });
      return { ...result, [list.field]: kept };
    }
    const tally: Tally = { count: 0, kinds: new Set() };
    const clean = stripValue(result, tally) as Record<string, unknown>;
    if (tally.count === 0) return result;
    report(message, tally, mode === 'block' ? 'block' : 'strip');
    if (mode === 'block')
      throw new SanitizeError(
        'SANITIZE_HIDDEN_TEXT',
        `result of ${message.method} holds ${tally.count} hidden character(s)`,
      );
    return clean;
  };
