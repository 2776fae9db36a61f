import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { diffServers, type ServerDiff } from '../config/reload.js';
import {
  isContainerServer,
  isStdioServer,
  limitsOf,
  type Config,
  type ServerConfig,
} from '../config/schema.js';
import { ClientError, RouteError, UpstreamError } from '../errors.js';
import type { ClientChannel, Message, Next, Params, Result } from '../core/interceptor.js';
import { createInstructionsCheck } from './defenses.js';
import { createPipeline } from './chain.js';
import { SecretRegistry } from '../secrets/registry.js';
import type { ContentEvent } from '../core/content-event.js';
import type { PinEvent } from '../pins/interceptor.js';
import type { Lock } from '../pins/lock.js';
import type { AuditInterceptors } from '../audit/interceptor.js';
import type { Principal } from '../core/principal.js';
import { createNamespace, type Namespace } from './namespace.js';
import { Upstream, type UpstreamEvent, type UpstreamHooks } from '../upstream/upstream.js';
import { mapResultUris, LIST_KINDS, type ListChangedMethod, type ListMethod } from './rewrite.js';
import { LateLists } from './late-lists.js';
import { createElicitingApprover } from '../authz/approval.js';
import { FlowLedger } from '../authz/flows.js';
import type { AuthzEvent } from '../authz/interceptor.js';
import type { CompiledPolicy } from '../authz/policy.js';
import type { RateStore } from '../authz/rate-limit.js';
import { createRateStore } from '../cluster/rate-redis.js';

/** A front session: one connected client (stdio), one HTTP session, or one stateless HTTP request. */
export interface FrontSession {
  readonly id: string;
  readonly principal: Principal;
  readonly era: 'legacy' | 'modern';
  /** Sends an unrelated notification to this client (list changes, logs). */
  notify(method: string, params: Params): Promise<void>;
  readonly subscriptions: Set<string>;
}

export type GatewayEvent =
  | { kind: 'upstream'; server: string; event: UpstreamEvent }
  | { kind: 'list-partial'; server: string; method: string; reason: string }
  | PinEvent
  | ContentEvent
  | AuthzEvent;

export interface GatewayOptions {
  /** Every gateway event; a pin or content verdict comes with the message it was about (audit records it ahead of that message's next effect). */
  readonly onEvent?: (event: GatewayEvent, message?: Message) => void;
  /** toolgate.lock to enforce (pins/), with its per-start package check and initialize comparison. */
  readonly lock?: Lock | undefined;
  /** The audit pair of the chain (audit/), when the config has an `audit:` section. */
  readonly audit?: AuditInterceptors | undefined;
  /** Compiled Cedar policies (authz/load.ts); without them only flow rules and rate limits apply. */
  readonly policy?: CompiledPolicy | undefined;
  readonly beforeConnect?: UpstreamHooks['beforeConnect'];
  readonly initialized?: UpstreamHooks['initialized'];
}

interface Snapshot {
  readonly items: readonly Record<string, unknown>[];
  readonly field: string;
}

const MAX_UPSTREAM_PAGES = 100;
/** The method under which an upstream's error text passes the chain (never sent anywhere itself). */
const UPSTREAM_ERROR_METHOD = 'toolgate/upstream-error';
const LIST_METHODS = Object.keys(LIST_KINDS) as ListMethod[];
const MAX_SNAPSHOTS_PER_SESSION = 8;

/**
 * The gateway core: routes namespaced requests to upstreams through THE chain, fans list requests
 * out and aggregates them with its own pagination, and routes server→client requests back to the
 * client whose call they belong to.
 */
export class Gateway {
  /** The config in force; a reload replaces it (with the namespace and the chain) in one step. */
  config: Config;
  namespace: Namespace;
  private readonly upstreams: Map<string, Upstream>;
  private send: Next;
  private options: GatewayOptions;
  private readonly secrets = new SecretRegistry();
  /** What each session received (flow rules) and the rate buckets: kept across reloads. */
  private ledger: FlowLedger | undefined;
  private rates: RateStore | undefined;
  private checkInstructions: ReturnType<typeof createInstructionsCheck>;
  /** Set by `drain`: new calls are refused, and `drained` is called once the last call in flight ends. */
  private closing = false;
  private calls = 0;
  private drained: (() => void) | undefined;
  private readonly sessions = new Set<FrontSession>();
  private readonly snapshots = new Map<string, Map<string, Snapshot>>();
  /** Per session: list fetches that outlived their list's budget, and their results (gateway/late-lists.ts). */
  private readonly lateLists = new Map<string, LateLists>();
  /** Per server: the lists answered without it, announced as list_changed to every client when it (re)starts. */
  private readonly missed = new Map<string, Set<ListChangedMethod>>();
  /** Receivers of every list_changed besides the sessions: the 2026-07-28 HTTP front's `subscriptions/listen` streams. */
  private readonly listChangedListeners = new Set<(method: ListChangedMethod) => void>();
  /** How long a list waits for each server (`limits.listTimeoutMs`). */
  private listBudgets: ReadonlyMap<string, number>;
  /** Calls in flight per upstream, each with the channel back to the client that made it. */
  private readonly inFlight = new Map<string, Set<ClientChannel>>();
  private readonly current = new AsyncLocalStorage<ClientChannel>();
  /**
   * Upstreams whose server→client requests arrive in the async context of the call that caused them
   * (HTTP: on the call's own response stream), so `current` can name the caller. A stdio server's
   * requests arrive on its pipe, outside any call, and go to the sole caller; those calls skip
   * `AsyncLocalStorage` (on Node 20 it turns on promise hooks, a cost on every promise).
   */
  private tracked: ReadonlySet<string>;
  private readonly onEvent: (event: GatewayEvent, message?: Message) => void;

  constructor(config: Config, options: GatewayOptions = {}) {
    this.config = config;
    this.options = options;
    this.onEvent = options.onEvent ?? (() => undefined);
    this.namespace = namespaceOf(config);
    this.checkInstructions = createInstructionsCheck(config, this.onEvent);
    this.send = this.pipelineOf(config, options);
    this.upstreams = new Map(
      Object.entries(config.servers).map(([id, server]) => [id, this.createUpstream(id, server)]),
    );
    for (const id of this.upstreams.keys()) this.inFlight.set(id, new Set());
    this.tracked = trackedOf(config);
    this.listBudgets = listBudgetsOf(config);
  }

  private pipelineOf(config: Config, options: GatewayOptions): Next {
    return createPipeline(config, (message) => this.terminal(message), {
      secrets: this.secrets,
      lock: options.lock,
      onPinEvent: this.onEvent,
      onContentEvent: this.onEvent,
      audit: options.audit,
      authz: {
        policy: options.policy,
        ledger: (this.ledger ??= new FlowLedger(config.flows)),
        approve: createElicitingApprover(config.approval.timeoutMs),
        rates: (this.rates ??= createRateStore(config)),
        emit: this.onEvent,
      },
    });
  }

  /** Its hooks read the options in force when they run: a server left running by a reload is checked against the new lock when it restarts. */
  private createUpstream(id: string, server: ServerConfig): Upstream {
    return new Upstream(id, server, limitsOf(this.config, server), {
      serverRequest: (s, method, params, signal) => this.serverRequest(s, method, params, signal),
      notification: (s, method, params) => void this.upstreamNotification(s, method, params),
      event: (s, event) => this.upstreamEvent(s, event),
      beforeConnect: async (s) => this.options.beforeConnect?.(s),
      initialized: (s, init) => {
        this.options.initialized?.(s, init); // the lock comparison first: a changed initialize is reported as such
        this.checkInstructions(s, init); // then the detector: a poisoned self-description refuses the server
      },
      secretsResolved: (s, values) => this.secrets.add(s, values),
    });
  }

  /**
   * Switches to a new (validated) config and its options, all or nothing: everything is built first,
   * then config, namespace, chain and upstream map change together, so each new message sees one
   * config or the other. Unchanged servers keep running with their calls in flight; removed and
   * changed ones are stopped (their calls in flight fail); added and changed ones are started.
   * `settled` resolves once the started ones are up or failed, after clients were told their lists changed.
   * `onEvent` stays the one given at construction.
   */
  reload(
    config: Config,
    options: Omit<GatewayOptions, 'onEvent'>,
  ): ServerDiff & { settled: Promise<{ ready: string[]; failed: string[] }> } {
    if (this.closing)
      throw new UpstreamError('UPSTREAM_UNAVAILABLE', 'the gateway is shutting down');
    const diff = diffServers(
      this.config,
      config,
      (which, id) => (which === 'running' ? this.options.lock : options.lock)?.servers[id]?.package,
    );
    const next = { ...options, ...(this.options.onEvent && { onEvent: this.options.onEvent }) };
    const namespace = namespaceOf(config);
    const checkInstructions = createInstructionsCheck(config, this.onEvent);
    const send = this.pipelineOf(config, next);
    // Nothing above changed the running gateway; from here on nothing throws.
    this.config = config;
    this.options = next;
    this.namespace = namespace;
    this.checkInstructions = checkInstructions;
    this.send = send;
    const stopped = [...diff.removed, ...diff.changed].map((id) => {
      const old = this.upstreams.get(id);
      this.upstreams.delete(id);
      if (diff.removed.includes(id)) this.inFlight.delete(id);
      return old?.stop();
    });
    const started = [...diff.added, ...diff.changed];
    for (const id of started) {
      this.upstreams.set(id, this.createUpstream(id, config.servers[id] as ServerConfig));
      if (!this.inFlight.has(id)) this.inFlight.set(id, new Set());
    }
    this.tracked = trackedOf(config);
    this.listBudgets = listBudgetsOf(config);
    const settled = (async () => {
      await Promise.all(stopped);
      const results = await Promise.allSettled(
        started.map((id) => this.upstreams.get(id)?.start()),
      );
      await this.notifyListsChanged();
      return {
        ready: started.filter((_, i) => results[i]?.status === 'fulfilled'),
        failed: started.filter((_, i) => results[i]?.status === 'rejected'),
      };
    })();
    return { ...diff, settled };
  }

  /** Tells every connected client that its lists may have changed (after a reload); a client that cannot take it is skipped. */
  private async notifyListsChanged(): Promise<void> {
    const methods: ListChangedMethod[] = [
      'notifications/tools/list_changed',
      'notifications/prompts/list_changed',
      'notifications/resources/list_changed',
    ];
    await Promise.all(methods.map((m) => this.announce(m)));
  }

  /**
   * Stops taking calls (new ones are refused with UPSTREAM_UNAVAILABLE) and waits for the calls in
   * flight to end, at most `graceMs`. Resolves true when none is left.
   */
  async drain(graceMs: number): Promise<boolean> {
    this.closing = true;
    if (this.calls === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      new Promise<boolean>((resolve) => (this.drained = () => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    return done;
  }

  /** Starts every upstream; resolves when each has connected or failed its first attempt. */
  async start(): Promise<{ ready: string[]; failed: string[] }> {
    const ids = [...this.upstreams.keys()];
    const results = await Promise.allSettled(ids.map((id) => this.upstreams.get(id)?.start()));
    return {
      ready: ids.filter((_, i) => results[i]?.status === 'fulfilled'),
      failed: ids.filter((_, i) => results[i]?.status === 'rejected'),
    };
  }

  async stop(): Promise<void> {
    this.rates?.close?.();
    await Promise.all([...this.upstreams.values()].map((u) => u.stop()));
  }

  upstream(id: string): Upstream | undefined {
    return this.upstreams.get(id);
  }

  attach(session: FrontSession): () => void {
    this.sessions.add(session);
    const late = new LateLists(
      (method) => void session.notify(LIST_KINDS[method].changed, {}).catch(() => undefined),
    );
    this.lateLists.set(session.id, late);
    return () => {
      this.sessions.delete(session);
      this.snapshots.delete(session.id);
      this.lateLists.delete(session.id);
      late.close();
    };
  }

  /**
   * Also tells `listener` every list_changed the sessions get (for clients that are no session of the
   * gateway: the 2026-07-28 HTTP front's `subscriptions/listen` streams). Returns the unsubscribe.
   */
  onListChanged(listener: (method: ListChangedMethod) => void): () => void {
    this.listChangedListeners.add(listener);
    return () => this.listChangedListeners.delete(listener);
  }

  /** The terminal of the chain: upstreams for `to-server`, the client channel for `to-client`. */
  private async terminal(message: Message): Promise<Result> {
    if (message.direction === 'to-server') {
      const upstream = this.upstreams.get(message.server);
      if (!upstream) throw new RouteError('ROUTE_UNKNOWN_SERVER', `no server "${message.server}"`);
      if (message.kind === 'notification') {
        await upstream.notify(message.method, message.params);
        return {};
      }
      return upstream
        .request(message.method, message.params, {
          signal: message.signal,
          onProgress: message.onProgress,
        })
        .catch((error: unknown) => this.screenUpstreamError(message, error));
    }
    if (message.kind === 'notification') {
      await this.deliver(message);
      return message.params; // what the defenses let through, for a caller that delivers it itself (progress, error text)
    }
    if (!message.client)
      throw new RouteError('ROUTE_UNROUTABLE', `no client to send ${message.method} to`);
    if (message.client.era === 'modern')
      throw new ClientError(
        'CLIENT_CAPABILITY_MISSING',
        `${message.method} cannot reach a 2026-07-28 client: that revision has no server-to-client requests`,
      );
    return message.client.request(message.method, message.params, message.signal);
  }

  /**
   * An upstream's own error is a message from the server like any other: its code and text go through
   * the chain towards the client (audited; secrets redacted, hidden characters stripped, an injection
   * refused with the defense's code), and it leaves as toolgate's UPSTREAM_ERROR with the server's code
   * in `data` only, so a server cannot answer with the code of a gateway decision.
   */
  private async screenUpstreamError(message: Message, error: unknown): Promise<never> {
    if (!(error instanceof UpstreamError) || !error.upstream) throw error;
    const { code } = error.upstream;
    // untrusted: the server's error text.
    const screened = await this.send({
      kind: 'notification',
      direction: 'to-client',
      method: UPSTREAM_ERROR_METHOD,
      params: { code, message: error.upstream.message },
      server: message.server,
      principal: message.principal,
      ...(message.client && { client: message.client }),
      signal: message.signal,
    });
    const text = typeof screened['message'] === 'string' ? screened['message'] : '';
    throw new UpstreamError('UPSTREAM_ERROR', text, {
      cause: error,
      upstream: { code, message: text },
    });
  }

  /**
   * A request from the client about one named item (tools/call, prompts/get, resources/read, …).
   * `channel` is the way back to this client for server→client requests made during the call.
   */
  async request(
    session: FrontSession,
    channel: ClientChannel,
    method: string,
    params: Params,
    signal: AbortSignal,
    onProgress?: (progress: Params) => void,
  ): Promise<Result> {
    if (this.closing)
      throw new UpstreamError('UPSTREAM_UNAVAILABLE', 'the gateway is shutting down');
    const { server, local } = this.route(method, params);
    const calls = this.inFlight.get(server) as Set<ClientChannel>;
    calls.add(channel);
    this.calls++;
    // Upstream progress is a message from the server too: through the chain, in order, all of it before the result.
    let progressed: Promise<void> = Promise.resolve();
    const relay =
      onProgress &&
      ((progress: Params) => {
        const screened = this.send({
          kind: 'notification',
          direction: 'to-client',
          method: 'notifications/progress',
          params: progress,
          server,
          principal: session.principal,
          client: channel,
          signal,
        }).catch(() => undefined); // a refused one is dropped
        progressed = progressed.then(async () => {
          const clean = await screened;
          if (clean) onProgress(clean);
        });
      });
    try {
      const forward = () =>
        this.send({
          kind: 'request',
          direction: 'to-server',
          method,
          params: local,
          server,
          principal: session.principal,
          client: channel,
          signal,
          ...(relay && { onProgress: relay }),
        });
      const result = await (this.tracked.has(server)
        ? this.current.run(channel, forward)
        : forward());
      await progressed;
      if (method === 'resources/subscribe') session.subscriptions.add(params['uri'] as string);
      if (method === 'resources/unsubscribe') session.subscriptions.delete(params['uri'] as string);
      return mapResultUris(result, (uri) => this.namespace.toPublicUri(server, uri));
    } finally {
      calls.delete(channel);
      if (--this.calls === 0) this.drained?.();
    }
  }

  /** Splits a namespaced request into its server and the server-local params. */
  private route(method: string, params: Params): { server: string; local: Params } {
    switch (method) {
      case 'tools/call':
      case 'prompts/get': {
        const { server, name } = this.namespace.fromPublic(params['name']);
        return { server, local: { ...params, name } };
      }
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe': {
        const { server, uri } = this.namespace.fromPublicUri(params['uri']);
        return { server, local: { ...params, uri } };
      }
      case 'completion/complete': {
        const ref = (params['ref'] ?? {}) as Record<string, unknown>;
        if (ref['type'] === 'ref/prompt') {
          const { server, name } = this.namespace.fromPublic(ref['name']);
          return { server, local: { ...params, ref: { ...ref, name } } };
        }
        const { server, uri } = this.namespace.fromPublicUri(ref['uri']);
        return { server, local: { ...params, ref: { ...ref, uri } } };
      }
      default:
        throw new RouteError('ROUTE_BAD_NAME', `method ${method} is not routed by the gateway`);
    }
  }

  /**
   * An aggregated list: every server's full list (its own pages followed, bounded), each through the
   * chain, namespaced, then served in pages of `pageSize` from a per-session snapshot. A server that is
   * down is skipped and one that does not answer within its `listTimeoutMs` (a start included) is left
   * out; the client gets list_changed when it comes (see `listWithin`).
   */
  async list(
    session: FrontSession,
    method: ListMethod,
    cursor: unknown,
    signal: AbortSignal,
  ): Promise<Result> {
    const kind = LIST_KINDS[method];
    if (cursor !== undefined) return this.page(session, method, cursor);
    const perServer = await Promise.all(
      [...this.upstreams.keys()].map((server) => this.listWithin(session, server, method, signal)),
    );
    const items = perServer.flat();
    const snapshotId = randomUUID();
    let sessionSnapshots = this.snapshots.get(session.id);
    if (!sessionSnapshots) this.snapshots.set(session.id, (sessionSnapshots = new Map()));
    sessionSnapshots.set(snapshotId, { items, field: kind.field });
    if (sessionSnapshots.size > MAX_SNAPSHOTS_PER_SESSION)
      sessionSnapshots.delete(sessionSnapshots.keys().next().value as string);
    return this.slice(method, snapshotId, { items, field: kind.field }, 0);
  }

  /**
   * One server's part of a list, within its budget. A down, failed or stopped server is skipped at
   * once. A fetch that runs past the budget goes on, bounded by the start and call timeouts: its result
   * is kept for the session's next list and the session is told the list changed; a server that was
   * unavailable instead gets list_changed announced to every client when it next starts.
   */
  private async listWithin(
    session: FrontSession,
    server: string,
    method: ListMethod,
    signal: AbortSignal,
  ): Promise<readonly Record<string, unknown>[]> {
    const upstream = this.upstreams.get(server) as Upstream;
    if (!this.supports(server, LIST_KINDS[method].capability)) return [];
    if (upstream.state !== 'ready' && upstream.state !== 'starting') {
      this.missList(server, method, `server "${server}" is ${upstream.state}`);
      return [];
    }
    const budgetMs = this.listBudgets.get(server) as number;
    // A session not attached (none today) keeps nothing for later.
    const late = this.lateLists.get(session.id) ?? new LateLists(() => undefined);
    const wait = await late.wait(method, server, budgetMs, signal, () =>
      this.listServer(session, server, method, late.signal).catch((error: unknown) => {
        // A session that ended stopped the fetch itself: the budget already reported the server missing.
        if (!late.signal.aborted) this.missList(server, method, (error as Error).message);
        return undefined;
      }),
    );
    if (wait.kind === 'in-time') return wait.items ?? [];
    this.missList(
      server,
      method,
      `server "${server}" did not answer ${method} within ${budgetMs} ms`,
    );
    return [];
  }

  /** A list answered without `server`: logged, and remembered for when the server (re)starts. */
  private missList(server: string, method: ListMethod, reason: string): void {
    this.onEvent({ kind: 'list-partial', server, method, reason });
    let kinds = this.missed.get(server);
    if (!kinds) this.missed.set(server, (kinds = new Set()));
    kinds.add(LIST_KINDS[method].changed);
  }

  private upstreamEvent(server: string, event: UpstreamEvent): void {
    this.onEvent({ kind: 'upstream', server, event });
    const kinds = event.kind === 'started' ? this.missed.get(server) : undefined;
    if (!kinds) return;
    this.missed.delete(server);
    for (const method of kinds) void this.announce(method);
  }

  /** A list_changed to every session and listener: content-free, it only makes clients list again through the chain. */
  private async announce(method: ListChangedMethod): Promise<void> {
    for (const listener of this.listChangedListeners) listener(method);
    await Promise.all([...this.sessions].map((s) => s.notify(method, {}).catch(() => undefined)));
  }

  private supports(server: string, capability: string): boolean {
    const upstream = this.upstreams.get(server);
    const caps = upstream?.serverInfo.capabilities;
    // Before the first connect we do not know yet: ask, and let the upstream answer or fail.
    return caps === undefined || capability in caps;
  }

  private async listServer(
    session: FrontSession,
    server: string,
    method: ListMethod,
    signal: AbortSignal,
  ) {
    const kind = LIST_KINDS[method];
    const items: Record<string, unknown>[] = [];
    let cursor: unknown;
    for (let page = 0; page < MAX_UPSTREAM_PAGES; page++) {
      const result = await this.send({
        kind: 'request',
        direction: 'to-server',
        method,
        params: cursor === undefined ? {} : { cursor },
        server,
        principal: session.principal,
        signal,
      });
      const list = result[kind.field];
      if (Array.isArray(list))
        for (const item of list as Record<string, unknown>[]) {
          const published = kind.toPublic(item, server, this.namespace);
          // untrusted: an unprefixed server's "other__tool" would be taken for the other server's tool (NS-3).
          if (this.namespace.routesTo(server, String(published[kind.key]), kind.route))
            items.push(published);
          else
            this.onEvent({
              kind: 'list-partial',
              server,
              method,
              reason: `${kind.key} "${String(item[kind.key]).slice(0, 200)}" carries another server's prefix: dropped`,
            });
        }
      cursor = result['nextCursor'];
      if (typeof cursor !== 'string' || cursor.length === 0) break;
    }
    return items;
  }

  private page(session: FrontSession, method: ListMethod, cursor: unknown): Result {
    const decoded = decodeCursor(cursor);
    const snapshot = decoded && this.snapshots.get(session.id)?.get(decoded.snapshot);
    if (!decoded || !snapshot || snapshot.field !== LIST_KINDS[method].field)
      throw new RouteError(
        'ROUTE_BAD_CURSOR',
        'unknown or expired cursor: list again from the start',
      );
    return this.slice(method, decoded.snapshot, snapshot, decoded.offset);
  }

  private slice(
    _method: ListMethod,
    snapshotId: string,
    snapshot: Snapshot,
    offset: number,
  ): Result {
    const size = this.config.pageSize;
    const items = snapshot.items.slice(offset, offset + size);
    const next =
      offset + size < snapshot.items.length ? encodeCursor(snapshotId, offset + size) : undefined;
    return { [snapshot.field]: items, ...(next !== undefined && { nextCursor: next }) };
  }

  /** A server→client request: goes to the client whose call is in flight on that server, through the chain. */
  private async serverRequest(
    server: string,
    method: string,
    params: Params,
    signal: AbortSignal,
  ): Promise<Result> {
    const channel =
      (this.tracked.has(server) ? this.current.getStore() : undefined) ?? this.soleCaller(server);
    const session = channel && [...this.sessions].find((s) => s.id === channel.sessionId);
    return this.send({
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

  /** The one client with a call in flight on `server`; with none or several it is ambiguous. */
  private soleCaller(server: string): ClientChannel | undefined {
    const calls = this.inFlight.get(server);
    if (!calls || calls.size === 0) return undefined;
    const sessions = new Set([...calls].map((c) => c.sessionId));
    return sessions.size === 1 ? calls.values().next().value : undefined;
  }

  /**
   * An upstream notification, through the chain. It belongs to the client whose call caused it (found as
   * for server→client requests), or to none: a log emitted during one caller's call never reaches another.
   */
  private async upstreamNotification(
    server: string,
    method: string,
    params: Params,
  ): Promise<void> {
    const channel =
      (this.tracked.has(server) ? this.current.getStore() : undefined) ?? this.soleCaller(server);
    const session = channel && [...this.sessions].find((s) => s.id === channel.sessionId);
    try {
      await this.send({
        kind: 'notification',
        direction: 'to-client',
        method,
        params,
        server,
        principal: session?.principal ?? { id: 'broadcast', transport: 'stdio' },
        ...(channel && { client: channel }),
        signal: AbortSignal.timeout(10_000),
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
  private async deliver(message: Message): Promise<void> {
    const { method, params, server } = message;
    switch (method) {
      case 'notifications/tools/list_changed':
      case 'notifications/prompts/list_changed':
      case 'notifications/resources/list_changed':
        for (const listMethod of LIST_METHODS)
          if (LIST_KINDS[listMethod].changed === method)
            for (const late of this.lateLists.values()) late.forget(listMethod, server);
        await this.announce(method);
        return;
      case 'notifications/resources/updated': {
        const uri = this.namespace.toPublicUri(server, String(params['uri']));
        const targets = [...this.sessions].filter((s) => s.subscriptions.has(uri));
        await Promise.all(
          targets.map((s) => s.notify(method, { ...params, uri }).catch(() => undefined)),
        );
        return;
      }
      case 'notifications/message': {
        const logger =
          typeof params['logger'] === 'string' ? `${server}/${params['logger']}` : server;
        const session =
          message.client && [...this.sessions].find((s) => s.id === message.client?.sessionId);
        // Only the 2025 era has logging; a log no call of a session caused goes nowhere.
        if (session?.era === 'legacy')
          await session.notify(method, { ...params, logger }).catch(() => undefined);
        return;
      }
      default:
        return; // Unknown notifications are not forwarded.
    }
  }
}

/** The public names of a config's servers: also what `toolgate tools` prints, so the two never disagree. */
export const namespaceOf = (config: Config): Namespace => {
  const unprefixed = Object.entries(config.servers).find(([, s]) => !s.namespace)?.[0];
  return createNamespace(config.separator, new Set(Object.keys(config.servers)), unprefixed);
};

const trackedOf = (config: Config): ReadonlySet<string> =>
  new Set(
    Object.entries(config.servers)
      .filter(([, s]) => !isStdioServer(s) && !isContainerServer(s))
      .map(([id]) => id),
  );

/** How long a list waits for each server (`limits.listTimeoutMs`, per server or top level). */
const listBudgetsOf = (config: Config): ReadonlyMap<string, number> =>
  new Map(
    Object.entries(config.servers).map(([id, server]) => [
      id,
      limitsOf(config, server).listTimeoutMs,
    ]),
  );

const encodeCursor = (snapshot: string, offset: number): string =>
  Buffer.from(JSON.stringify({ s: snapshot, o: offset })).toString('base64url');

const decodeCursor = (cursor: unknown): { snapshot: string; offset: number } | undefined => {
  if (typeof cursor !== 'string' || cursor.length > 200) return undefined;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      s?: unknown;
      o?: unknown;
    };
    if (
      typeof value.s !== 'string' ||
      typeof value.o !== 'number' ||
      !Number.isInteger(value.o) ||
      value.o < 0
    )
      return undefined;
    return { snapshot: value.s, offset: value.o };
  } catch {
    return undefined;
  }
};
