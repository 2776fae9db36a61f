import type { Config } from '../config/schema.js';
import type { Message, Result } from '../core/interceptor.js';
import type { Upstream } from '../upstream/upstream.js';
import type { EventSinks } from './events.js';
import type { Namespace } from './namespace.js';

/**
 * What the parts of the gateway (lists, server→client routing) read of the state in force. A reload
 * swaps config, namespace, chain and upstream map together, so each message sees one config or the other.
 */
export interface GatewayState {
  readonly config: Config;
  readonly namespace: Namespace;
  readonly events: EventSinks;
  /** THE chain around its terminal: every message to or from an upstream goes through it. */
  send(message: Message): Promise<Result>;
  upstream(id: string): Upstream | undefined;
  /** The ids of the servers in force, in config order. */
  servers(): readonly string[];
}
