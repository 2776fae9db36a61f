import type { Client, Transport } from '@modelcontextprotocol/client';
import {
  isContainerServer,
  isStdioServer,
  type LimitsConfig,
  type ServerConfig,
} from '../config/schema.js';
import type { Params, Result } from '../core/interceptor.js';
import { GatewayError, LimitError, UpstreamError } from '../errors.js';
import { createUpstreamClient } from './client.js';
import type { UpstreamEvent, UpstreamHooks, UpstreamState } from './hooks.js';
import { createFastRequest, type FastRequest } from './fast-request.js';
import { createHttpTransport } from './http-transport.js';
import { backoffMs, sleep } from './backoff.js';
import { isPermanent } from './permanent.js';
import {
  fastRequests,
  sendRequest,
  toUpstreamError,
  withoutUpstreamIdentity,
  type RequestOptions,
} from './request.js';
import { assertPythonLaunch } from './python-launch.js';
import { StdioUpstreamTransport } from './spawn-stdio.js';

export type { UpstreamEvent, UpstreamHooks } from './hooks.js';

/**
 * One upstream MCP server: connects through the official SDK client (which negotiates the 2025 or
 * 2026-07-28 era), enforces the per-upstream limits, and restarts the server with exponential
 * backoff when it crashes or hangs. The gateway keeps serving the other upstreams meanwhile.
 */
export class Upstream {
  readonly id: string;
  private readonly config: ServerConfig;
  private readonly limits: LimitsConfig;
  private readonly hooks: UpstreamHooks;
  private client: Client | undefined;
  private transport: Transport | undefined;
  private ready: Promise<void> | undefined;
  private inFlight = 0;
  private failures = 0;
  /** Why the last start was refused, when a defense refused it (a typed error, safe to show the client). */
  private refusal: GatewayError | undefined;
  private readonly stopping = new AbortController();
  state: UpstreamState = 'starting';

  constructor(id: string, config: ServerConfig, limits: LimitsConfig, hooks: UpstreamHooks) {
    this.id = id;
    this.config = config;
    this.limits = limits;
    this.hooks = hooks;
  }

  /** The protocol revision negotiated with the server, once connected. */
  get protocolVersion(): string | undefined {
    return this.client?.getNegotiatedProtocolVersion();
  }

  /** Whether this connection's `tools/call` takes the fast path past the SDK `Client` (stdio, SDK internals found). */
  get fastPath(): boolean {
    return this.client !== undefined && fastRequests.has(this.client);
  }

  /** What the server said about itself at connect (informative; untrusted). */
  get serverInfo(): {
    capabilities: Record<string, unknown> | undefined;
    instructions: string | undefined;
  } {
    return {
      capabilities: this.client?.getServerCapabilities(),
      instructions: this.client?.getInstructions(),
    };
  }

  start(): Promise<void> {
    this.state = 'starting';
    this.ready = this.connect().then(
      () => {
        this.state = 'ready';
        this.failures = 0;
        this.refusal = undefined;
      },
      (error: unknown) => {
        this.refusal = error instanceof GatewayError ? error : undefined;
        if (isPermanent(error)) this.fail(error);
        else this.onDown(`could not start: ${(error as Error).message}`);
        throw error;
      },
    );
    this.ready.catch(() => undefined);
    return this.ready;
  }

  private async connect(): Promise<void> {
    await this.hooks.beforeConnect?.(this.id);
    assertPythonLaunch(this.id, this.config);
    const client = createUpstreamClient(this.id, this.config, this.hooks);
    const transport = await this.createTransport();
    this.client = client;
    this.transport = transport;
    let fast: FastRequest | undefined;
    client.onclose = () => {
      fast?.closed();
      if (this.client === client && this.state !== 'stopped')
        this.onDown(
          (transport instanceof StdioUpstreamTransport && transport.exitReason) ||
            'the server closed the connection',
        );
    };
    client.onerror = () => undefined;
    await client
      .connect(transport, { timeout: this.config.restart.startTimeoutMs })
      .catch((error: unknown) => {
        // bwrap's own account of why the sandbox could not be built beats the SDK's "connection closed".
        throw (transport instanceof StdioUpstreamTransport && transport.setupFailure) || error;
      });
    if (transport instanceof StdioUpstreamTransport) {
      const created = createFastRequest(client, (message) => transport.send(message));
      if (created) {
        transport.intercept = (message) => created.intercept(message);
        fastRequests.set(client, created);
      }
      fast = created;
    }
    this.hooks.initialized?.(this.id, {
      serverInfo: client.getServerVersion() ?? {},
      instructions: client.getInstructions(),
      capabilities: client.getServerCapabilities() ?? {},
    });
    const pid = transport instanceof StdioUpstreamTransport ? transport.pid : undefined;
    await this.hooks.event(this.id, {
      kind: 'started',
      era: this.protocolVersion ?? 'unknown',
      ...(pid !== undefined && { pid }),
    });
  }

  private async createTransport(): Promise<Transport> {
    const limits = { maxMessageBytes: this.limits.maxMessageBytes, maxDepth: this.limits.maxDepth };
    if (isStdioServer(this.config) || isContainerServer(this.config))
      return new StdioUpstreamTransport(
        this.id,
        this.config,
        limits,
        this.hooks.outbound,
        (event) => this.hooks.event(this.id, event),
        (values) => this.hooks.secretsResolved?.(this.id, values),
      );
    return createHttpTransport(this.config, limits, {
      outbound: this.hooks.outbound,
      onRefused: (reason) => this.notice({ kind: 'refused-frame', reason }),
      secretsResolved: (values) => this.hooks.secretsResolved?.(this.id, values),
    });
  }

  /** A lifecycle notice: nothing waits for its record, whose failure the gateway's sink logs. */
  private notice(event: UpstreamEvent): void {
    void this.hooks.event(this.id, event);
  }

  private onDown(reason: string): void {
    if (this.state === 'stopped' || this.state === 'down' || this.state === 'failed') return;
    this.state = 'down';
    this.notice({ kind: 'crashed', reason });
    const client = this.client;
    this.client = undefined;
    void client?.close().catch(() => undefined);
    void this.restart();
  }

  /** A start refused for good ({@link isPermanent}): no retry, the refusal named to every later call. */
  private fail(error: GatewayError): void {
    if (this.state === 'stopped') return;
    this.state = 'failed';
    this.refusal = error;
    const client = this.client;
    this.client = undefined;
    void client?.close().catch(() => undefined);
    this.notice({
      kind: 'failed',
      code: error.code,
      reason: `${error.code}: ${error.message} (not retried: it cannot fix itself)`,
    });
  }

  private async restart(): Promise<void> {
    const { maxRetries } = this.config.restart;
    while (this.state === 'down') {
      this.failures++;
      if (this.failures > maxRetries) {
        this.state = 'failed';
        this.notice({
          kind: 'failed',
          reason: `gave up after ${maxRetries} restarts`,
        });
        return;
      }
      const delayMs = backoffMs(this.config.restart, this.failures);
      this.notice({ kind: 'restarting', attempt: this.failures, delayMs });
      await sleep(delayMs, this.stopping.signal);
      if (this.state !== 'down') return;
      try {
        this.state = 'starting';
        this.ready = this.connect();
        await this.ready;
        this.state = 'ready';
        this.failures = 0;
        this.refusal = undefined;
      } catch (error) {
        this.refusal = error instanceof GatewayError ? error : undefined;
        // A connection a start hook refused (e.g. poisoned instructions) is closed, its process ended.
        const client = this.client;
        this.client = undefined;
        void client?.close().catch(() => undefined);
        if (this.state !== 'starting') return;
        if (isPermanent(error)) return this.fail(error);
        this.state = 'down';
      }
    }
  }

  /** Sends one request upstream, within the concurrency and time limits. */
  async request(method: string, params: Params, options: RequestOptions): Promise<Result> {
    if (this.state === 'starting') await this.waitReady(options.signal);
    const client = this.client;
    if (this.state !== 'ready' || !client)
      throw new UpstreamError(
        'UPSTREAM_UNAVAILABLE',
        `server "${this.id}" is unavailable (${this.state})` +
          (this.refusal ? `: ${this.refusal.code}: ${this.refusal.message}` : ''),
      );
    if (this.inFlight >= this.limits.maxConcurrentCalls)
      throw new LimitError(
        'LIMIT_CONCURRENCY',
        `server "${this.id}" already has ${this.inFlight} calls in flight`,
      );
    this.inFlight++;
    try {
      return withoutUpstreamIdentity(
        await sendRequest(client, method, params, options, this.limits.callTimeoutMs),
      );
    } catch (error) {
      throw toUpstreamError(this.id, error, method, this.limits.callTimeoutMs, () =>
        this.checkHealth(),
      );
    } finally {
      this.inFlight--;
    }
  }

  /** Sends a notification upstream (e.g. roots/list_changed). Best effort. */
  async notify(method: string, params: Params): Promise<void> {
    if (this.state !== 'ready' || !this.client) return;
    await this.client.notification({ method, params }).catch(() => undefined);
  }

  /** A call that arrives while the server (re)starts waits for it, as long as a start may take. */
  private async waitReady(signal: AbortSignal): Promise<void> {
    const timeout = AbortSignal.timeout(this.config.restart.startTimeoutMs);
    await Promise.race([
      this.ready?.catch(() => undefined),
      new Promise((resolve) => {
        signal.addEventListener('abort', resolve, { once: true });
        timeout.addEventListener('abort', resolve, { once: true });
      }),
    ]);
  }

  /** After a timeout: a server that no longer answers a cheap request is treated as hung and restarted. */
  private checkHealth(): void {
    const client = this.client;
    if (!client || this.state !== 'ready') return;
    const options = { timeout: Math.min(5000, this.limits.callTimeoutMs) };
    const probe = this.protocolVersion?.startsWith('2026')
      ? client.request({ method: 'tools/list', params: {} }, options)
      : client.ping(options);
    probe.then(
      () => undefined,
      () => {
        if (this.client !== client) return;
        this.notice({ kind: 'hung' });
        if (this.transport instanceof StdioUpstreamTransport) this.transport.kill();
        this.onDown('the server stopped answering');
      },
    );
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    this.stopping.abort();
    const client = this.client;
    this.client = undefined;
    await client?.close().catch(() => undefined);
  }
}
