import { AsyncLocalStorage } from 'node:async_hooks';
import { isContainerServer, isStdioServer, type Config } from '../config/schema.js';
import type { ClientChannel } from '../core/interceptor.js';

/**
 * Which client a message from a server belongs to: the caller of the call that caused it. Calls in
 * flight are kept per upstream, each with the channel back to the client that made it.
 */
export class Callers {
  private readonly inFlight = new Map<string, Set<ClientChannel>>();
  private readonly current = new AsyncLocalStorage<ClientChannel>();
  /**
   * Upstreams whose server→client requests arrive in the async context of the call that caused them
   * (HTTP: on the call's own response stream), so `current` can name the caller. A stdio server's
   * requests arrive on its pipe, outside any call, and go to the sole caller; those calls skip
   * `AsyncLocalStorage` (on Node 20 it turns on promise hooks, a cost on every promise).
   */
  private tracked: ReadonlySet<string> = new Set();

  constructor(config: Config) {
    this.configure(config);
  }

  /** Follows the servers of `config` (at start and at each reload). */
  configure(config: Config): void {
    this.tracked = new Set(
      Object.entries(config.servers)
        .filter(([, s]) => !isStdioServer(s) && !isContainerServer(s))
        .map(([id]) => id),
    );
  }

  /**
   * Counts a call of `channel`'s client on `server` as in flight; returns its end. Not async: the
   * call's path gets no promise of its own from it.
   */
  enter(server: string, channel: ClientChannel): () => void {
    let calls = this.inFlight.get(server);
    if (!calls) this.inFlight.set(server, (calls = new Set()));
    const entered = calls;
    entered.add(channel);
    return () => {
      entered.delete(channel);
      if (entered.size === 0 && this.inFlight.get(server) === entered) this.inFlight.delete(server);
    };
  }

  /** Runs `call` (entered) so that what `server` sends during it can name its caller. */
  run<T>(server: string, channel: ClientChannel, call: () => Promise<T>): Promise<T> {
    return this.tracked.has(server) ? this.current.run(channel, call) : call();
  }

  /** The client a message arriving from `server` now belongs to; none when it is ambiguous. */
  channelFor(server: string): ClientChannel | undefined {
    return (
      (this.tracked.has(server) ? this.current.getStore() : undefined) ?? this.soleCaller(server)
    );
  }

  /** The one client with a call in flight on `server`; with none or several it is ambiguous. */
  private soleCaller(server: string): ClientChannel | undefined {
    const calls = this.inFlight.get(server);
    if (!calls || calls.size === 0) return undefined;
    const sessions = new Set([...calls].map((c) => c.sessionId));
    return sessions.size === 1 ? calls.values().next().value : undefined;
  }
}
