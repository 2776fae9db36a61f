import type { ClientChannel, Message, Params, Result } from '../core/interceptor.js';
import type { Principal } from '../core/principal.js';
import type { Callers } from './callers.js';
import { LIST_KINDS, type ListMethod } from './rewrite.js';
import type { Sessions } from './sessions.js';
import type { GatewayState } from './state.js';

const LIST_METHODS = Object.keys(LIST_KINDS) as ListMethod[];
/** How long an upstream notification may spend in the chain. */
const NOTIFICATION_TIMEOUT_MS = 10_000;

/**
 * Messages from servers to clients: each goes through the chain to the client whose call caused it
 * (`Callers`), or to none. A server→client request without a caller fails in the chain's terminal
 * (ROUTE_UNROUTABLE); a notification is delivered only to the sessions it concerns (`deliver`).
 */
export class ServerMessages {
  private readonly state: GatewayState;
  private readonly sessions: Sessions;
  private readonly callers: Callers;

  constructor(state: GatewayState, sessions: Sessions, callers: Callers) {
    this.state = state;
    this.sessions = sessions;
    this.callers = callers;
  }

  /** A server→client request: to the client whose call is in flight on that server, through the chain. */
  request(server: string, method: string, params: Params, signal: AbortSignal): Promise<Result> {
    const channel = this.callers.channelFor(server);
    const session = this.sessions.find(channel?.sessionId);
    return this.state.send({
      kind: 'request',
      direction: 'to-client',
      method,
      params,
      server,
      principal: session?.principal ?? { id: 'unknown', transport: 'stdio' },
      ...(channel && { client: channel }),
      signal,
    });
  }

  /**
   * An upstream notification, through the chain. It belongs to the client whose call caused it (found as
   * for server→client requests), or to none: a log emitted during one caller's call never reaches another.
   */
  async notification(server: string, method: string, params: Params): Promise<void> {
    const channel = this.callers.channelFor(server);
    const session = this.sessions.find(channel?.sessionId);
    try {
      await this.state.send({
        kind: 'notification',
        direction: 'to-client',
        method,
        params,
        server,
        principal: session?.principal ?? { id: 'broadcast', transport: 'stdio' },
        ...(channel && { client: channel }),
        signal: AbortSignal.timeout(NOTIFICATION_TIMEOUT_MS),
      });
    } catch {
      // A refused notification is dropped; the chain has already said why.
    }
  }

  /**
   * Delivers an upstream notification (already through the chain) to the sessions it concerns: a list
   * change (content-free) to all, a resource update to its subscribers, a log to the session whose call
   * caused it. Never broadcasts content.
   */
  async deliver(message: Message): Promise<void> {
    const { method, params, server } = message;
    switch (method) {
      case 'notifications/tools/list_changed':
      case 'notifications/prompts/list_changed':
      case 'notifications/resources/list_changed':
        for (const listMethod of LIST_METHODS)
          if (LIST_KINDS[listMethod].changed === method)
            this.sessions.forgetLate(listMethod, server);
        await this.sessions.announce(method);
        return;
      case 'notifications/resources/updated': {
        const uri = this.state.namespace.toPublicUri(server, String(params['uri']));
        await this.sessions.notifySubscribers(uri, method, { ...params, uri });
        return;
      }
      case 'notifications/message': {
        const logger =
          typeof params['logger'] === 'string' ? `${server}/${params['logger']}` : server;
        const session = this.sessions.find(message.client?.sessionId);
        // Only the 2025 era has logging; a log no call of a session caused goes nowhere.
        if (session?.era === 'legacy')
          await session.notify(method, { ...params, logger }).catch(() => undefined);
        return;
      }
      default:
        return; // Unknown notifications are not forwarded.
    }
  }

  /** Upstream progress is a message from the server too: through the chain, in order, all of it before the result. */
  progress(
    principal: Principal,
    channel: ClientChannel,
    server: string,
    signal: AbortSignal,
    onProgress: (progress: Params) => void,
  ): { relay: (progress: Params) => void; relayed: () => Promise<void> } {
    let progressed: Promise<void> = Promise.resolve();
    const relay = (progress: Params) => {
      const screened = this.state
        .send({
          kind: 'notification',
          direction: 'to-client',
          method: 'notifications/progress',
          params: progress,
          server,
          principal,
          client: channel,
          signal,
        })
        .catch(() => undefined); // a refused one is dropped
      progressed = progressed.then(async () => {
        const clean = await screened;
        if (clean) onProgress(clean);
      });
    };
    return { relay, relayed: () => progressed };
  }
}
