import type { ContentEvent } from '../core/content-event.js';
import type { Message } from '../core/interceptor.js';
import type { AuthzEvent } from '../authz/interceptor.js';
import type { PinEvent } from '../pins/interceptor.js';
import type { UpstreamEvent } from '../upstream/upstream.js';

/** What the gateway reports: upstream lifecycle and egress decisions, lists answered in part, defense verdicts. */
export type GatewayEvent =
  | { kind: 'upstream'; server: string; event: UpstreamEvent }
  | { kind: 'list-partial'; server: string; method: string; reason: string }
  | PinEvent
  | ContentEvent
  | AuthzEvent;

/**
 * Where gateway events go (the operator log and the audit log). Two ways in, typed by what the caller
 * may rely on, so no promise ever travels through a callback typed `=> void`:
 * - `note` is synchronous. A defense's verdict about the message it handles is written ahead of that
 *   message's next effect (the audit interceptors flush it); any other event is recorded on its own,
 *   and a failure to record it is logged, never thrown.
 * - `record` resolves once the event is in the audit log and rejects when it cannot be: an egress
 *   decision's connection waits for it, and is refused on a rejection (AUD-1).
 */
export interface EventSinks {
  note(event: GatewayEvent, message?: Message): void;
  record(event: GatewayEvent): Promise<void>;
}

/** Sinks that drop everything (the gateway in tests, `toolgate tools`). */
export const DROP_EVENTS: EventSinks = {
  note: () => undefined,
  record: () => Promise.resolve(),
};
