import type { AuditCall } from '../audit/interceptor.js';
import type { Principal } from './principal.js';

/** Which way a message travels: from the agent to an upstream server, or from a server to the agent. */
export type Direction = 'to-server' | 'to-client';

export type Params = Record<string, unknown>;
export type Result = Record<string, unknown>;

/**
 * Where a message sent towards the client goes: the front session of the agent involved. The terminal
 * of the `to-client` direction calls it; interceptors never do.
 */
export interface ClientChannel {
  readonly sessionId: string;
  readonly era: 'legacy' | 'modern';
  request(method: string, params: Params, signal: AbortSignal): Promise<Result>;
  notify(method: string, params: Params): Promise<void>;
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

export type Next = (message: Message) => Promise<Result>;
export type Interceptor = (message: Message, next: Next) => Promise<Result>;

/**
 * Composes interceptors around a terminal, first element outermost.
 * @example
 * const send = compose([enforceAllowlist(policy)], dispatch);
 */
export const compose = (chain: readonly Interceptor[], terminal: Next): Next =>
  chain.reduceRight<Next>((next, run) => (message) => run(message, next), terminal);
