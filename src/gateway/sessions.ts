import type { Params } from '../core/interceptor.js';
import type { Principal } from '../core/principal.js';
import { LateLists } from './late-lists.js';
import { LIST_KINDS, type ListChangedMethod, type ListMethod } from './rewrite.js';

/** A front session: one connected client (stdio), one HTTP session, or one stateless HTTP request. */
export interface FrontSession {
  readonly id: string;
  readonly principal: Principal;
  readonly era: 'legacy' | 'modern';
  /** Sends an unrelated notification to this client (list changes, logs). */
  notify(method: string, params: Params): Promise<void>;
  readonly subscriptions: Set<string>;
}

/**
 * The front sessions attached to the gateway, each with its late list fetches (late-lists.ts), and
 * the receivers of list_changed that are no session (the 2026-07-28 HTTP front's
 * `subscriptions/listen` streams). A notification a client cannot take is skipped, never thrown.
 */
export class Sessions {
  private readonly sessions = new Map<string, FrontSession>();
  private readonly late = new Map<string, LateLists>();
  private readonly listeners = new Set<(method: ListChangedMethod) => void>();

  /** Adds `session`; returns its removal, which stops its late fetches and runs `onDetach`. */
  attach(session: FrontSession, onDetach: () => void): () => void {
    this.sessions.set(session.id, session);
    const late = new LateLists(
      (method) => void session.notify(LIST_KINDS[method].changed, {}).catch(() => undefined),
    );
    this.late.set(session.id, late);
    return () => {
      this.sessions.delete(session.id);
      this.late.delete(session.id);
      late.close();
      onDetach();
    };
  }

  find(id: string | undefined): FrontSession | undefined {
    return id === undefined ? undefined : this.sessions.get(id);
  }

  /** The session's late list fetches; a session not attached keeps nothing for later. */
  lateLists(id: string): LateLists {
    return this.late.get(id) ?? new LateLists(() => undefined);
  }

  /** Every session drops what `server` said late for `method` (it announced a change). */
  forgetLate(method: ListMethod, server: string): void {
    for (const late of this.late.values()) late.forget(method, server);
  }

  /** Also tells `listener` every list_changed the sessions get. Returns the unsubscribe. */
  onListChanged(listener: (method: ListChangedMethod) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A list_changed to every session and listener: content-free, it only makes clients list again through the chain. */
  async announce(method: ListChangedMethod): Promise<void> {
    for (const listener of this.listeners) listener(method);
    await Promise.all(
      [...this.sessions.values()].map((s) => s.notify(method, {}).catch(() => undefined)),
    );
  }

  /** A resource update to the sessions subscribed to its (public) URI, and to no other. */
  async notifySubscribers(uri: string, method: string, params: Params): Promise<void> {
    const targets = [...this.sessions.values()].filter((s) => s.subscriptions.has(uri));
    await Promise.all(targets.map((s) => s.notify(method, params).catch(() => undefined)));
  }
}
