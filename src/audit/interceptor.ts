import { randomBytes } from 'node:crypto';
import { AuditError, isGatewayError } from '../errors.js';
import type { AuditCall, CallSpan, Interceptor, Message } from '../core/interceptor.js';
import type { AuditEntry, Decision } from './event.js';
import type { AuditSink, EntryFields } from './log.js';
import type { Redactor } from './redact.js';

/** Follows one call for tracing: every entry of the call, then its end. */
export interface CallObserver {
  /** `target` is the call's target as the log keeps it (a credential in it redacted), if it has one. */
  start(message: Message, call: string, target?: string): CallSpan<AuditEntry>;
}

export interface AuditContext {
  readonly log: Pick<AuditSink, 'append'>;
  readonly redactor: Redactor;
  /** SHA-256 of the canonical config in force. */
  readonly policy: string;
  /** SHA-256 of the canonical lock in force, if any. */
  readonly lock?: string;
  /** Per server, tools recorded in clear. */
  readonly clear: Readonly<Record<string, readonly string[]>>;
  readonly observer?: CallObserver;
  /** The pinned definition hash of a call's target in the lock in force (`targetHash`), if any. */
  readonly targetHash?: (server: string, method: string, target: string) => string | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const targetOf = (message: Message): string | undefined => {
  const { name, uri, ref } = message.params as {
    name?: unknown;
    uri?: unknown;
    ref?: { name?: unknown; uri?: unknown };
  };
  const t = name ?? uri ?? ref?.name ?? ref?.uri;
  return typeof t === 'string' ? t : undefined;
};

/** The arguments of a tool call (what "was this value sent?" is asked about); the params otherwise. */
const argsOf = (message: Message): unknown =>
  message.method === 'tools/call' && 'arguments' in message.params
    ? message.params['arguments']
    : message.params;

/**
 * The audit pair of THE chain. `recordOutcome` is outermost: it records a denial by any defense, an
 * upstream error, or the result, before the client sees it. `recordForward` is innermost: it records
 * that every defense let the message through, before the terminal forwards it. Either append failing
 * denies the message with `AUDIT_APPEND_FAILED` (fail closed); a result whose outcome cannot be
 * recorded is withheld.
 * @example
 * const { recordOutcome, recordForward } = createAuditInterceptors(ctx);
 * const chain = [recordOutcome, enforceAllowlist(policy), recordForward];
 */
export interface AuditInterceptors {
  readonly recordOutcome: Interceptor;
  readonly recordForward: Interceptor;
  /**
   * Takes a defense event (pin mismatch, detector verdict) raised inside a call: it is appended
   * before the call's next effect (forward, result or denial reaches its destination), and a failed
   * append denies the call. `message` is the one the defense was handling when it raised the event.
   * Returns false outside a call (no message, or its outcome is already recorded); the caller records
   * it on its own then.
   */
  readonly note: (event: Readonly<Record<string, unknown>>, message?: Message) => boolean;
}

/** The fields of a call's entry (built in one object: this runs twice per call). */
const fieldsOf = (
  ctx: AuditContext,
  message: Message,
  state: AuditCall,
  decision: Decision,
): Mutable<EntryFields> => {
  const fields: Mutable<EntryFields> = {
    decision,
    call: state.call,
    direction: message.direction,
    kind: message.kind,
    principal: message.principal.id,
    server: message.server,
    method: message.method,
    policy: ctx.policy,
  };
  const target = targetOf(message);
  if (target !== undefined) {
    fields.target = ctx.redactor.target(target);
    const targetHash = ctx.targetHash?.(message.server, message.method, target);
    if (targetHash !== undefined) fields.targetHash = targetHash;
  }
  if (ctx.lock !== undefined) fields.lock = ctx.lock;
  return fields;
};

/** Whether the call's arguments and result are recorded in clear (a tool listed under `clear`). */
const isClear = (ctx: AuditContext, message: Message): boolean => {
  const target = targetOf(message);
  return (
    message.method === 'tools/call' &&
    target !== undefined &&
    (ctx.clear[message.server]?.includes(target) ?? false)
  );
};

/** Appends one entry of the call; a promise only when the store's append is one (see `AuditLog.append`). */
const append = (ctx: AuditContext, fields: EntryFields, state: AuditCall): void | Promise<void> => {
  const entry = ctx.log.append(fields);
  if (entry instanceof Promise) return entry.then((e) => state.span?.entry(e));
  state.span?.entry(entry);
};

/** Appends the defense events noted so far, in order, ahead of the entry that follows them. */
const flush = async (ctx: AuditContext, message: Message, state: AuditCall): Promise<void> => {
  while (state.events.length > 0) {
    const event = state.events.shift() as Readonly<Record<string, unknown>>;
    await append(
      ctx,
      {
        decision: 'event',
        call: state.call,
        server: message.server,
        policy: ctx.policy,
        ...(ctx.lock !== undefined && { lock: ctx.lock }),
        event,
      },
      state,
    );
  }
};

const newState = (call: string, span: AuditCall['span']): AuditCall => ({
  call,
  forwarded: false,
  done: false,
  span,
  events: [],
});

/** The reason a failed call's entry gives: the gateway error's code, a cancellation, or `INTERNAL`. */
const reasonOf = (error: unknown): string =>
  isGatewayError(error)
    ? error.code
    : (error as Error | undefined)?.name === 'AbortError'
      ? 'REQUEST_CANCELLED'
      : 'INTERNAL';

/**
 * Records a call that threw (denied by a defense, or failed upstream) and rethrows its error; throws
 * `AUDIT_APPEND_FAILED` instead when the log is down or the entry cannot be written.
 */
const recordFailure = async (
  ctx: AuditContext,
  message: Message,
  state: AuditCall,
  error: unknown,
  latencyUs: () => number,
): Promise<never> => {
  state.done = true; // events noted from here on are recorded on their own
  const reason = reasonOf(error);
  if (reason === 'AUDIT_APPEND_FAILED') {
    state.span?.end(reason);
    // The log is down: nothing more can be recorded. The forward entry was refused, or the way out
    // to the server refused the request because its entry could not be written (AUD-9).
    throw new AuditError(
      'AUDIT_APPEND_FAILED',
      `${(error as Error).message}; the call was not forwarded`,
      { cause: error },
    );
  }
  try {
    if (state.events.length > 0) await flush(ctx, message, state);
    const fields = fieldsOf(ctx, message, state, state.forwarded ? 'error' : 'deny');
    fields.reason = reason;
    fields.latencyUs = latencyUs();
    await append(ctx, fields, state);
  } catch (appendError) {
    state.span?.end('AUDIT_APPEND_FAILED');
    if (!(appendError instanceof AuditError)) throw error;
    const what = state.forwarded
      ? 'the call was forwarded and failed'
      : `the call was denied (${reason}), not forwarded`;
    throw new AuditError(
      'AUDIT_APPEND_FAILED',
      `${appendError.message}; ${what}, but its outcome could not be logged`,
      { cause: appendError },
    );
  }
  state.span?.end(reason);
  throw error;
};

/**
 * Records a call's result (for a request; a notification has none) with the events noted before it.
 * A result that cannot be recorded is withheld: throws `AUDIT_APPEND_FAILED`.
 */
const recordResult = async (
  ctx: AuditContext,
  message: Message,
  state: AuditCall,
  result: unknown,
  latencyUs: () => number,
): Promise<void> => {
  state.done = true;
  try {
    if (state.events.length > 0) await flush(ctx, message, state);
    if (message.kind === 'request') {
      const fields = fieldsOf(ctx, message, state, 'result');
      fields.result = ctx.redactor.record(result, isClear(ctx, message));
      fields.latencyUs = latencyUs();
      const pending = append(ctx, fields, state);
      if (pending) await pending;
    }
  } catch (error) {
    state.span?.end('AUDIT_APPEND_FAILED');
    // The client is told what happened (AUD-9): the server did run the call.
    throw new AuditError(
      'AUDIT_APPEND_FAILED',
      `${(error as Error).message}; the call was forwarded and the server ran it, but its result could not be logged, so it is withheld`,
      {
        cause: error,
      },
    );
  }
  state.span?.end();
};

export const createAuditInterceptors = (ctx: AuditContext): AuditInterceptors => {
  const boot = randomBytes(4).toString('hex');
  let counter = 0;

  const recordOutcome: Interceptor = async function recordOutcome(message, next) {
    const call = `${boot}-${++counter}`;
    const target = ctx.observer && targetOf(message);
    const state = newState(
      call,
      ctx.observer?.start(
        message,
        call,
        target === undefined ? undefined : ctx.redactor.target(target),
      ),
    );
    const started = process.hrtime.bigint();
    const latencyUs = () => Number((process.hrtime.bigint() - started) / 1000n);
    let result;
    try {
      result = await next({ ...message, audit: state });
    } catch (error) {
      return recordFailure(ctx, message, state, error, latencyUs);
    }
    await recordResult(ctx, message, state, result, latencyUs);
    return result;
  };

  const recordForward: Interceptor = async function recordForward(message, next) {
    const state = message.audit ?? newState(`${boot}-${++counter}`, undefined);
    if (state.events.length > 0) await flush(ctx, message, state);
    const fields = fieldsOf(ctx, message, state, 'forward');
    fields.args = ctx.redactor.record(argsOf(message), isClear(ctx, message));
    const pending = append(ctx, fields, state);
    if (pending) await pending;
    state.forwarded = true;
    return next(message);
  };

  const note = (event: Readonly<Record<string, unknown>>, message?: Message): boolean => {
    const state = message?.audit;
    if (!state || state.done) return false;
    state.events.push(event);
    return true;
  };

  return { recordOutcome, recordForward, note };
};
