import type { Principal } from './principal.js';

/** Which way a message travels: from the agent to an upstream server, or from a server to the agent. */
type Direction = 'to-server' | 'to-client';

export type Params = Record<string, unknown>;
export type Result = Record<string, unknown>;

/** What a server says of itself when it initializes (untrusted: screened like any definition). */
export interface InitializeInfo {
  readonly serverInfo: Record<string, unknown>;
  readonly instructions: string | undefined;
  readonly capabilities: Record<string, unknown>;
}

/**
 * Where a message sent towards the client goes: the front session of the agent involved. The terminal
 * of the `to-client` direction calls it; interceptors never do.
 */
export interface ClientChannel {
  readonly sessionId: string;
  readonly era: 'legacy' | 'modern';
  request(method: string, params: Params, signal: AbortSignal): Promise<Result>;
  notify(method: string, params: Params): Promise<void>;
  /** Whether the client declared form elicitation and can be asked now (human approval, authz/). */
  canElicit(): boolean;
  /** A 2026-07-28 call's in-band input (multi-round trip); absent on the 2025 era. */
  readonly inBand?: InBandInput;
}

/**
 * What a 2026-07-28 client can be asked, and what it answered, within one call: it is asked by an
 * `input_required` result, and answers by re-sending the call with `inputResponses` and the echoed
 * `requestState` (untrusted: whoever reads them verifies them).
 */
export interface InBandInput {
  /** Whether this request's envelope declares form elicitation. */
  readonly canElicit: boolean;
  readonly responses: Readonly<Record<string, unknown>> | undefined;
  readonly state: string | undefined;
}

/**
 * One message through the chain, always about one upstream server and in server-local names: the
 * front strips the namespace before, and adds it back after, so no defense ever parses prefixes.
 */
export interface Message {
  readonly kind: 'request' | 'notification';
  readonly direction: Direction;
  readonly method: string;
  readonly params: Params;
  /** The upstream server id this message is to or from. */
  readonly server: string;
  /** The agent on whose behalf the message travels (for server→client: the agent it is routed to). */
  readonly principal: Principal;
  /** The front session involved, if any; the only way to reach the client. */
  readonly client?: ClientChannel;
  readonly signal: AbortSignal;
  /** Progress from upstream for this request; forwarded to the client's progress token. */
  readonly onProgress?: (progress: Params) => void;
  /**
   * The audit log's record of this message (audit/), set by the outermost interceptor. Interceptors
   * that pass on a copy (`{ ...message, params }`) keep it; one that makes a new message inside the call
   * (a re-list) passes it on, so the defenses' verdicts are appended before the message's next effect.
   */
  readonly audit?: AuditCall;
}

/** The span of one call in the audit log (audit/ opens it; OpenTelemetry may mirror it). */
export interface CallSpan<Entry = unknown> {
  entry(entry: Entry): void;
  end(error?: string): void;
}

/**
 * The audit record of one message through the chain, carried on the message itself (`Message.audit`):
 * not in an `AsyncLocalStorage`, which on Node 20 turns on promise hooks for the whole process, a cost
 * on every promise of the gateway.
 */
export interface AuditCall {
  readonly call: string;
  forwarded: boolean;
  /** Set once the outcome is recorded: later events of this context are not the call's. */
  done: boolean;
  readonly span: CallSpan | undefined;
  /** Defense events (pin, content) raised during the call, appended before its next effect. */
  readonly events: Readonly<Record<string, unknown>>[];
}

export type Next = (message: Message) => Promise<Result>;
export type Interceptor = (message: Message, next: Next) => Promise<Result>;

/**
 * Composes interceptors around a terminal, first element outermost.
 * @example
 * const send = compose([enforceAllowlist(policy)], dispatch);
 */
export const compose = (chain: readonly Interceptor[], terminal: Next): Next =>
  chain.reduceRight<Next>((next, run) => (message) => run(message, next), terminal);
