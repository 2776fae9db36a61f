import type { ContentEventSink } from '../detect/event.js';
import { LeakError } from '../errors.js';
import type { Interceptor } from '../pipeline/interceptor.js';
import type { SecretScanner } from './scan.js';

const SKIP: ReadonlySet<string> = new Set(['blob', 'mimeType']);

/** A copy of `value` with every credential in its strings replaced by `[REDACTED:rule]`. */
export const redactValue = (scanner: SecretScanner, value: unknown, rules: Set<string>, depth = 0): unknown => {
  if (typeof value === 'string') {
    const r = scanner.redact(value);
    for (const rule of r.rules) rules.add(rule);
    return r.text;
  }
  if (depth > 128) return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(scanner, v, rules, depth + 1));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SKIP.has(k) ? v : redactValue(scanner, v, rules, depth + 1)]));
  return value;
};

/** Every credential rule that matches in the strings of `value`. */
const rulesIn = (scanner: SecretScanner, value: unknown): string[] => {
  const rules = new Set<string>();
  redactValue(scanner, value, rules);
  return [...rules];
};

/**
 * Refuses calls whose arguments carry a credential (exfiltration through parameters) and redacts
 * credentials from everything servers send back, server→client requests included.
 * @example
 * redactSecrets(createSecretScanner([process.env.API_KEY ?? '']), sink)
 */
export const redactSecrets = (scanner: SecretScanner, emit: ContentEventSink): Interceptor =>
  async function redactSecrets(message, next) {
    if (message.kind !== 'request') return next(message);
    const reasons = (rules: readonly string[]) => rules.map((rule) => ({ rule, span: '[REDACTED]' }));
    if (message.direction === 'to-client') {
      const rules = new Set<string>();
      const params = redactValue(scanner, message.params, rules) as Record<string, unknown>;
      if (rules.size === 0) return next(message);
      emit({ kind: 'content', defense: 'secrets', action: 'redact', server: message.server, method: message.method, reasons: reasons([...rules]) }, message);
      return next({ ...message, params });
    }
    const args = message.params['arguments'];
    if (args !== undefined) {
      const found = rulesIn(scanner, args);
      if (found.length > 0) {
        emit({ kind: 'content', defense: 'secrets', action: 'block', server: message.server, method: message.method, reasons: reasons(found) }, message);
        throw new LeakError('LEAK_SECRET_IN_ARGUMENTS', `arguments hold a credential (${found.join(', ')}); the call was not sent`);
      }
    }
    const result = await next(message);
    const rules = new Set<string>();
    const clean = redactValue(scanner, result, rules) as Record<string, unknown>;
    if (rules.size === 0) return result;
    emit({ kind: 'content', defense: 'secrets', action: 'redact', server: message.server, method: message.method, reasons: reasons([...rules]) }, message);
    return clean;
  };
