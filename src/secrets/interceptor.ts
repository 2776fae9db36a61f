import type { ContentEventSink } from '../detect/event.js';
import { LeakError } from '../errors.js';
import type { Interceptor } from '../pipeline/interceptor.js';
import { mapStrings } from '../pipeline/map-strings.js';
import type { SecretScanner } from './scan.js';

const SKIP = { skip: new Set(['blob', 'mimeType']) } as const;

/** `value` with every credential in its strings replaced by `[REDACTED:rule]`; the same value when it holds none. */
export const redactValue = (scanner: SecretScanner, value: unknown, rules: Set<string>): unknown =>
  mapStrings(
    value,
    (text) => {
      const r = scanner.redact(text);
      for (const rule of r.rules) rules.add(rule);
      return r.text;
    },
    SKIP,
  );

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
    const reasons = (rules: readonly string[]) => rules.map((rule) => ({ rule, span: '[REDACTED]' }));
    // Server→client notifications (logs, progress, an upstream's error text) are redacted like its requests.
    if (message.direction === 'to-client') {
      const rules = new Set<string>();
      const params = redactValue(scanner, message.params, rules) as Record<string, unknown>;
      if (rules.size === 0) return next(message);
      emit({ kind: 'content', defense: 'secrets', action: 'redact', server: message.server, method: message.method, reasons: reasons([...rules]) }, message);
      return next({ ...message, params });
    }
    if (message.kind !== 'request') return next(message);
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
