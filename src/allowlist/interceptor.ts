import { PolicyError } from '../errors.js';
import type { Interceptor } from '../core/interceptor.js';
import type { CompiledAllowlist } from './compile.js';
import { allowsNotification, decideAllowlist, filterListResult } from './decide.js';

/**
 * Defense 1: the static allowlist. Denies calls to items the config does not name, hides them from
 * every list, and denies server→client requests the config does not allow.
 * @example
 * const chain = [enforceAllowlist(compileAllowlist(config))];
 */
export const enforceAllowlist = (allowlist: CompiledAllowlist): Interceptor =>
  async function enforceAllowlist(message, next) {
    if (message.kind === 'notification' && !allowsNotification(allowlist, message)) return {};
    const decision = decideAllowlist(allowlist, message);
    if (!decision.ok) throw new PolicyError(decision.code, decision.message);
    const result = await next(message);
    return message.direction === 'to-server'
      ? filterListResult(allowlist, message.server, message.method, result)
      : result;
  };
