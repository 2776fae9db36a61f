import type { ContentEventSink } from '../core/content-event.js';
import { LeakError } from '../errors.js';
import type { Interceptor, Message } from '../core/interceptor.js';
import { mapStrings } from '../core/map-strings.js';
import { stripHidden } from '../sanitize/hidden.js';
import { leaksIn } from './outbound.js';
import type { SecretScanner } from './scan.js';

/**
 * `value` with every credential in its strings and keys replaced by `[REDACTED:rule]`; the same value
 * when it holds none. A credential split by hidden characters is found too (the text is then passed
 * on without them): sanitizing runs after this on server→client requests and would join it back.
 */
const redactValue = (scanner: SecretScanner, value: unknown, rules: Set<string>): unknown =>
  mapStrings(value, (text) => {
    let r = scanner.redact(text);
    if (r.rules.length === 0) {
      const stripped = stripHidden(text);
      if (stripped.count === 0) return text;
      r = scanner.redact(stripped.text);
      if (r.rules.length === 0) return text;
    }
    for (const rule of r.rules) rules.add(rule);
    return r.text;
  });

/**
 * Refuses any outgoing message that carries a credential (exfiltration): every string and key of a
 * request's params (arguments, `_meta`, URIs, completion values) and of the client's answer to a
 * server's request, in every encoding `leaksIn` decodes. Redacts credentials from everything servers
 * send back, server→client requests included.
 * @example
 * redactSecrets(createSecretScanner([process.env.API_KEY ?? '']), sink)
 */
export const redactSecrets = (scanner: SecretScanner, emit: ContentEventSink): Interceptor =>
  async function redactSecrets(message, next) {
    const reasons = (rules: readonly string[]) =>
      rules.map((rule) => ({ rule, span: '[REDACTED]' }));
    const refuseLeaks = (value: unknown, what: string) => {
      const found = leaksIn(scanner, value);
      if (found.length === 0) return;
      emit(
        {
          kind: 'content',
          defense: 'secrets',
          action: 'block',
          server: message.server,
          method: message.method,
          reasons: reasons(found),
        },
        message,
      );
      throw new LeakError(
        'LEAK_SECRET_IN_ARGUMENTS',
        `${what} holds a credential (${found.join(', ')}); it was not sent`,
      );
    };
    const redacted = (m: Message, value: unknown): unknown => {
      const rules = new Set<string>();
      const clean = redactValue(scanner, value, rules);
      if (rules.size > 0)
        emit(
          {
            kind: 'content',
            defense: 'secrets',
            action: 'redact',
            server: m.server,
            method: m.method,
            reasons: reasons([...rules]),
          },
          m,
        );
      return clean;
    };
    if (message.direction === 'to-client') {
      const params = redacted(message, message.params) as Message['params'];
      const answer = await next(params === message.params ? message : { ...message, params });
      refuseLeaks(answer, `the answer to ${message.method}`);
      return answer;
    }
    refuseLeaks(message.params, `${message.method} params`);
    return redacted(message, await next(message)) as Awaited<ReturnType<typeof next>>;
  };
