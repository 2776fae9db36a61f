import { diffServers, type ServerDiff } from '../config/reload.js';
import { limitsOf, type Config, type ServerConfig } from '../config/schema.js';
import type { ClientChannel, Message, Next, Params, Result } from '../core/interceptor.js';
import type { Outbound } from '../core/outbound.js';
import { createElicitingApprover } from '../authz/approval.js';
import type { ApprovalStates } from '../authz/approval-state.js';
import { approvalStatesOf } from '../cluster/approval-states-redis.js';
import type { ApprovalQueue } from '../authz/queue.js';
import { FlowLedger } from '../authz/flows.js';
import type { RateStore } from '../authz/rate-limit.js';
import { createRateStore } from '../cluster/rate-redis.js';
import { SecretRegistry } from '../secrets/registry.js';
import { Upstream, type UpstreamEvent } from '../upstream/upstream.js';
import { addLogSecrets } from '../log.js';
import { Callers } from './callers.js';
import { createPipeline } from './chain.js';
import { DROP_EVENTS, type EventSinks } from './events.js';
import { InFlight } from './in-flight.js';
import { createInstructionsCheck } from './instructions-check.js';
import { Lists } from './lists.js';
import { namespaceOf, type Namespace } from './namespace.js';
import type { GatewayOptions, ReloadOptions } from './options.js';
import { mapResultUris, type ListChangedMethod, type ListMethod } from './rewrite.js';
import { routeRequest } from './route.js';
import { Sessions, type FrontSession } from './sessions.js';
import type { GatewayState } from './state.js';
import { createTerminal } from './terminal.js';
import { ServerMessages } from './to-client.js';

const LIST_CHANGED: readonly ListChangedMethod[] = [
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/resources/list_changed',
];

/**
 * The gateway core: routes namespaced requests to upstreams through THE chain, fans list requests
 * out and aggregates them with its own pagination (lists.ts), and routes server→client messages back
 * to the client whose call they belong to (to-client.ts).
 */
export class Gateway implements GatewayState {
  /** The config in force; a reload replaces it (with the namespace and the chain) in one step. */
  config: Config;
  namespace: Namespace;
  readonly events: EventSinks;
  readonly outbound: Outbound;
  private readonly approvals: ApprovalQueue | undefined;
  private readonly upstreams = new Map<string, Upstream>();
  private pipeline: Next;
  private options: ReloadOptions;
  private readonly secrets: SecretRegistry;
  /** What each session received (flow rules) and the rate buckets: kept across reloads. */
  private readonly ledger: FlowLedger;
  private rates: RateStore | undefined;
  /** The states of approvals asked in band; kept across reloads, so a question outlives one. */
  private approvalStates: ApprovalStates | undefined;
  private checkInstructions: ReturnType<typeof createInstructionsCheck>;
  /** The calls in flight and the drain at shutdown. */
  private readonly inFlight = new InFlight();
  private readonly sessions = new Sessions();
  private readonly callers: Callers;
  private readonly lists: Lists;
  private readonly toClient: ServerMessages;
  /** The chain's terminal (terminal.ts): upstreams for `to-server`, the client channel for `to-client`. */
  private readonly terminal: Next;

  constructor(config: Config, options: GatewayOptions) {
    this.config = config;
    this.options = options;
    this.events = options.events ?? DROP_EVENTS;
    this.outbound = options.outbound;
    this.approvals = options.approvals;
    this.secrets = options.secrets ?? new SecretRegistry();
    this.ledger = new FlowLedger(config.flows);
    this.namespace = namespaceOf(config);
    this.checkInstructions = this.instructionsCheckOf(config);
    this.callers = new Callers(config);
    this.lists = new Lists(this, this.sessions);
    this.toClient = new ServerMessages(this, this.sessions, this.callers);
    this.terminal = createTerminal(this, this.toClient);
    this.pipeline = this.pipelineOf(config, options);
    for (const [id, server] of Object.entries(config.servers))
      this.upstreams.set(id, this.createUpstream(id, server));
  }

  send(message: Message): Promise<Result> {
    return this.pipeline(message);
  }

  upstream(id: string): Upstream | undefined {
    return this.upstreams.get(id);
  }

  servers(): readonly string[] {
    return [...this.upstreams.keys()];
  }

  private pipelineOf(config: Config, options: ReloadOptions): Next {
    return createPipeline(config, this.terminal, {
      secrets: this.secrets,
      lock: options.lock,
      audit: options.audit,
      note: (event, message) => this.events.note(event, message),
      authz: {
        policy: options.policy,
        ledger: this.ledger,
        approve: createElicitingApprover(
          config.approval.timeoutMs,
          config.approval.queue ? this.approvals : undefined,
          (this.approvalStates ??= approvalStatesOf(config)),
        ),
        rates: (this.rates ??= createRateStore(config)),
      },
    });
  }

  private instructionsCheckOf(config: Config): ReturnType<typeof createInstructionsCheck> {
    return createInstructionsCheck(config, (event) => this.events.note(event));
  }

  /** Its hooks read the options in force when they run: a server left running by a reload is checked against the new lock when it restarts. */
  private createUpstream(id: string, server: ServerConfig): Upstream {
    return new Upstream(id, server, limitsOf(this.config, server), {
      outbound: this.outbound,
      serverRequest: (s, method, params, signal) =>
        this.toClient.request(s, method, params, signal),
      notification: (s, method, params) => this.toClient.notification(s, method, params),
      event: (s, event) => this.upstreamEvent(s, event),
      beforeConnect: async (s) => this.options.beforeConnect?.(s),
      initialized: (s, init) => {
        this.options.initialized?.(s, init); // the lock comparison first: a changed initialize is reported as such
        this.checkInstructions(s, init); // then the detector: a poisoned self-description refuses the server
      },
      secretsResolved: (s, values) => {
        this.secrets.add(s, values);
        addLogSecrets(values); // the operator log never shows them, whichever line carries one
      },
    });
  }

  /**
   * Switches to a new (validated) config and its options, all or nothing: everything is built first,
   * then config, namespace, chain and upstream map change together, so each new message sees one
   * config or the other. Unchanged servers keep running with their calls in flight; removed and
   * changed ones are stopped (their calls in flight fail); added and changed ones are started.
   * `settled` resolves once the started ones are up or failed, after clients were told their lists changed.
   */
  reload(
    config: Config,
    options: ReloadOptions,
  ): ServerDiff & { settled: Promise<{ ready: string[]; failed: string[] }> } {
    this.inFlight.assertOpen();
    const diff = diffServers(
      this.config,
      config,
      (which, id) => (which === 'running' ? this.options.lock : options.lock)?.servers[id]?.package,
    );
    const namespace = namespaceOf(config);
    const checkInstructions = this.instructionsCheckOf(config);
    const send = this.pipelineOf(config, options);
    // Nothing above changed the running gateway; from here on nothing throws.
    this.config = config;
    this.options = options;
    this.namespace = namespace;
    this.checkInstructions = checkInstructions;
    this.pipeline = send;
    const stopped = [...diff.removed, ...diff.changed].map((id) => {
      const old = this.upstreams.get(id);
      this.upstreams.delete(id);
      return old ? old.stop() : Promise.resolve();
    });
    const started = [...diff.added, ...diff.changed];
    for (const id of started)
      this.upstreams.set(id, this.createUpstream(id, config.servers[id] as ServerConfig));
    this.callers.configure(config);
    this.lists.configure(config);
    const settled = (async () => {
      await Promise.all(stopped);
      const outcome = await this.startAll(started);
      // Every connected client may have new lists; one that cannot take the news is skipped.
      await Promise.all(LIST_CHANGED.map((m) => this.sessions.announce(m)));
      return outcome;
    })();
    return { ...diff, settled };
  }

  /**
   * Stops taking calls (new ones are refused with UPSTREAM_UNAVAILABLE) and waits for the calls in
   * flight to end, at most `graceMs`. Resolves true when none is left.
   */
  drain(graceMs: number): Promise<boolean> {
    return this.inFlight.drain(graceMs);
  }

  /** Starts every upstream; resolves when each has connected or failed its first attempt. */
  start(): Promise<{ ready: string[]; failed: string[] }> {
    return this.startAll(this.servers());
  }

  private async startAll(ids: readonly string[]): Promise<{ ready: string[]; failed: string[] }> {
    // A server a later reload removed again is not started (and not reported as failed).
    const results = await Promise.allSettled(
      ids.map((id) => this.upstreams.get(id)?.start() ?? Promise.resolve()),
    );
    return {
      ready: ids.filter((_, i) => results[i]?.status === 'fulfilled'),
      failed: ids.filter((_, i) => results[i]?.status === 'rejected'),
    };
  }

  async stop(): Promise<void> {
    this.rates?.close?.();
    this.approvalStates?.close?.();
    await Promise.all([...this.upstreams.values()].map((u) => u.stop()));
  }

  /** Attaches a front session; returns its removal. */
  attach(session: FrontSession): () => void {
    return this.sessions.attach(session, () => {
      this.lists.forget(session.id);
      this.ledger.drop(session.id);
    });
  }

  /**
   * Also tells `listener` every list_changed the sessions get (for clients that are no session of the
   * gateway: the 2026-07-28 HTTP front's `subscriptions/listen` streams). Returns the unsubscribe.
   */
  onListChanged(listener: (method: ListChangedMethod) => void): () => void {
    return this.sessions.onListChanged(listener);
  }

  /** An aggregated list (lists.ts): a fresh one, or the page `cursor` names. */
  list(
    session: FrontSession,
    method: ListMethod,
    cursor: unknown,
    signal: AbortSignal,
  ): Promise<Result> {
    return this.lists.list(session, method, cursor, signal);
  }

  /**
   * An upstream's lifecycle notice, or an egress decision of its sandbox: the decision's connection
   * waits for its record (and a rejection refuses it); a notice is recorded on its own.
   */
  private upstreamEvent(server: string, event: UpstreamEvent): Promise<void> {
    const reported = { kind: 'upstream', server, event } as const;
    if (event.kind === 'egress') return this.events.record(reported);
    this.events.note(reported);
    if (event.kind === 'started') this.lists.started(server);
    return Promise.resolve();
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
    this.inFlight.assertOpen();
    const { server, local } = routeRequest(this.namespace, method, params);
    const exit = this.callers.enter(server, channel);
    this.inFlight.enter();
    const progress =
      onProgress && this.toClient.progress(session.principal, channel, server, signal, onProgress);
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
          ...(progress && { onProgress: progress.relay }),
        });
      const result = await this.callers.run(server, channel, forward);
      if (progress) await progress.relayed();
      if (method === 'resources/subscribe') session.subscriptions.add(params['uri'] as string);
      if (method === 'resources/unsubscribe') session.subscriptions.delete(params['uri'] as string);
      return mapResultUris(result, (uri) => this.namespace.toPublicUri(server, uri));
    } finally {
      exit();
      this.inFlight.exit();
    }
  }
}
