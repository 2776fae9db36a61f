import {
  Client,
  ProtocolError,
  SdkError,
  SdkErrorCode,
  SERVER_INFO_META_KEY,
  StreamableHTTPClientTransport,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type ResultTypeMap,
  type Transport,
} from '@modelcontextprotocol/client';
import {
  isContainerServer,
  isStdioServer,
  type LimitsConfig,
  type ServerConfig,
} from '../config/schema.js';
import { createRedactor, type Redactor } from '../credentials/redact.js';
import { resolveSecrets } from '../credentials/resolve.js';
import type { SandboxEvent } from '../sandbox/spawn.js';
import { GatewayError, LimitError, UpstreamError } from '../errors.js';
import { checkValue } from '../transport/frame.js';
import type { InitializeInfo, Params, Result } from '../core/interceptor.js';
import { createFastRequest, type FastRequest } from './fast-request.js';
import { sendRequest } from './sdk-request.js';
import { isPermanent } from './permanent.js';
import { StdioUpstreamTransport } from './spawn-stdio.js';
import { sendLogged } from '../transport/outbound.js';
import { afterNotifications } from './after-notifications.js';
import { OWN_REFUSAL_MARK } from './own-refusal.js';
import { VERSION } from '../version.js';

export type UpstreamState = 'starting' | 'ready' | 'down' | 'failed' | 'stopped';

/** What an upstream needs from the gateway: the way back to the client, through the chain. */
export interface UpstreamHooks {
  serverRequest(
    server: string,
    method: string,
    params: Params,
    signal: AbortSignal,
  ): Promise<Result>;
  notification(server: string, method: string, params: Params): void;
  event(server: string, event: UpstreamEvent): void;
  /** Runs before every (re)start, before anything is spawned: a throw refuses the start (lockfile package check). */
  beforeConnect?(server: string): Promise<void>;
  /** What the server said in `initialize`, after every (re)start (compared with the lock). */
  initialized?(server: string, init: InitializeInfo): void;
  /** The server's own credential values, at every (re)start: the content scanner redacts and blocks them too. */
  secretsResolved?(server: string, values: readonly string[]): void;
}

export type UpstreamEvent =
  | { kind: 'started'; era: string; pid?: number }
  | { kind: 'crashed'; reason: string }
  | { kind: 'restarting'; attempt: number; delayMs: number }
  | { kind: 'failed'; reason: string; code?: string }
  | { kind: 'hung' }
  | { kind: 'stderr'; line: string }
  | { kind: 'refused-frame'; reason: string; count?: number }
  | { kind: 'exited'; code: number | null; signal: string | null; reason?: string }
  | SandboxEvent;

export interface RequestOptions {
  readonly signal: AbortSignal;
  readonly onProgress?: ((progress: Params) => void) | undefined;
}

const SERVER_REQUESTS = ['sampling/createMessage', 'elicitation/create', 'roots/list'] as const;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

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
    const client = new Client(
      { name: 'toolgate', version: VERSION },
      {
        capabilities: this.clientCapabilities(),
        ...(this.config.protocol === 'auto' && { versionNegotiation: { mode: 'auto' as const } }),
        ...(this.config.protocol === '2026-07-28' && {
          versionNegotiation: { mode: { pin: '2026-07-28' } },
        }),
        // list_changed in both eras (2026-07-28 delivers it over subscriptions/listen): the gateway
        // only relays the fact; clients list again through the chain.
        listChanged: {
          tools: this.relayListChanged('notifications/tools/list_changed'),
          prompts: this.relayListChanged('notifications/prompts/list_changed'),
          resources: this.relayListChanged('notifications/resources/list_changed'),
        },
      },
    );
    for (const method of SERVER_REQUESTS) {
      if (!this.config.allow[methodFlag(method)]) continue;
      client.setRequestHandler(
        method,
        (request, ctx) =>
          // untrusted: the request comes from the server; the gateway runs it through the chain.
          this.hooks.serverRequest(
            this.id,
            method,
            (request.params ?? {}) as Params,
            ctx.mcpReq.signal,
          ) as Promise<ResultTypeMap[typeof method]>,
      );
    }
    client.fallbackNotificationHandler = async (notification) => {
      this.hooks.notification(this.id, notification.method, notification.params ?? {});
    };
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
      fast = createFastRequest(client, (message) => transport.send(message));
      if (fast) {
        transport.intercept = fast.intercept;
        fastRequests.set(client, fast);
      }
    }
    this.hooks.initialized?.(this.id, {
      serverInfo: client.getServerVersion() ?? {},
      instructions: client.getInstructions(),
      capabilities: client.getServerCapabilities() ?? {},
    });
    const pid = transport instanceof StdioUpstreamTransport ? transport.pid : undefined;
    this.hooks.event(this.id, {
      kind: 'started',
      era: this.protocolVersion ?? 'unknown',
      ...(pid !== undefined && { pid }),
    });
  }

  private relayListChanged(method: string) {
    return {
      autoRefresh: false,
      debounceMs: 0,
      onChanged: () => this.hooks.notification(this.id, method, {}),
    };
  }

  private clientCapabilities(): Record<string, unknown> {
    // Least privilege: advertise only what the config lets this server ask of the client.
    const caps: Record<string, unknown> = {};
    if (this.config.allow.sampling) caps['sampling'] = {};
    if (this.config.allow.elicitation) caps['elicitation'] = { form: {}, url: {} };
    if (this.config.allow.roots) caps['roots'] = { listChanged: true };
    return caps;
  }

  private async createTransport(): Promise<Transport> {
    const limits = { maxMessageBytes: this.limits.maxMessageBytes, maxDepth: this.limits.maxDepth };
    if (isStdioServer(this.config) || isContainerServer(this.config)) {
      return new StdioUpstreamTransport(
        this.id,
        this.config,
        limits,
        (event) => this.hooks.event(this.id, event),
        (values) => this.hooks.secretsResolved?.(this.id, values),
      );
    }
    // Its own credentials, resolved at each start; the agent's token is never among them.
    const secretHeaders = await resolveSecrets(this.config.secretHeaders);
    this.hooks.secretsResolved?.(this.id, Object.values(secretHeaders));
    const transport = new StreamableHTTPClientTransport(new URL(this.config.url), {
      requestInit: { headers: { ...this.config.headers, ...secretHeaders } },
    });
    guardIncoming(
      transport,
      limits,
      (reason) => this.hooks.event(this.id, { kind: 'refused-frame', reason }),
      createRedactor(secretHeaders),
    );
    transport.send = sendLogged(transport.send.bind(transport));
    return transport;
  }

  private onDown(reason: string): void {
    if (this.state === 'stopped' || this.state === 'down' || this.state === 'failed') return;
    this.state = 'down';
    this.hooks.event(this.id, { kind: 'crashed', reason });
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
    this.hooks.event(this.id, {
      kind: 'failed',
      code: error.code,
      reason: `${error.code}: ${error.message} (not retried: it cannot fix itself)`,
    });
  }

  private async restart(): Promise<void> {
    const { maxRetries, initialDelayMs, maxDelayMs } = this.config.restart;
    while (this.state === 'down') {
      this.failures++;
      if (this.failures > maxRetries) {
        this.state = 'failed';
        this.hooks.event(this.id, {
          kind: 'failed',
          reason: `gave up after ${maxRetries} restarts`,
        });
        return;
      }
      const delayMs = Math.min(maxDelayMs, initialDelayMs * 2 ** (this.failures - 1));
      this.hooks.event(this.id, { kind: 'restarting', attempt: this.failures, delayMs });
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
      return withoutUpstreamIdentity(await this.send(client, method, params, options));
    } catch (error) {
      throw this.toUpstreamError(error, method);
    } finally {
      this.inFlight--;
    }
  }

  /** One request on the connection (see `sendRequest`), with this upstream's time limit. */
  private send(
    client: Client,
    method: string,
    params: Params,
    options: RequestOptions,
  ): Promise<Result> {
    const fast = fastRequests.get(client);
    return sendRequest(client, fast, method, params, {
      ...options,
      timeout: this.limits.callTimeoutMs,
    });
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

  private toUpstreamError(error: unknown, method: string): Error {
    if (error instanceof GatewayError) return error; // ours, e.g. AUDIT_APPEND_FAILED when the request could not leave logged
    if (error instanceof ProtocolError) {
      const data = error.data as { code?: unknown; mark?: unknown } | undefined;
      if (
        typeof data?.code === 'string' &&
        data.code.startsWith('LIMIT_') &&
        data.mark === OWN_REFUSAL_MARK
      )
        return new LimitError(
          data.code as 'LIMIT_MESSAGE_TOO_LARGE',
          `response from "${this.id}" refused: ${error.message}`,
        );
      // The line transport's verdict on a frame it could not read (cut off, not JSON, not UTF-8).
      if (typeof data?.code === 'string' && data.code.startsWith('FRAME_'))
        return new UpstreamError(
          'UPSTREAM_INVALID_RESPONSE',
          `server "${this.id}" sent an unreadable ${method} response (${data.code}): ${error.message}`,
          { cause: error },
        );
      // untrusted: the server's own error text, passed on as the server's words.
      return new UpstreamError('UPSTREAM_ERROR', error.message, {
        cause: error,
        upstream: { code: error.code, message: error.message },
      });
    }
    if (error instanceof SdkError) {
      switch (error.code) {
        case SdkErrorCode.RequestTimeout:
          this.checkHealth();
          return new LimitError(
            'LIMIT_TIMEOUT',
            `server "${this.id}" did not answer ${method} within ${this.limits.callTimeoutMs} ms`,
          );
        case SdkErrorCode.ConnectionClosed:
        case SdkErrorCode.NotConnected:
        case SdkErrorCode.SendFailed:
          return new UpstreamError(
            'UPSTREAM_CRASHED',
            `server "${this.id}" went away during ${method}`,
            { cause: error },
          );
        case SdkErrorCode.InvalidResult:
          return new UpstreamError(
            'UPSTREAM_INVALID_RESPONSE',
            `server "${this.id}" sent an invalid ${method} result`,
            { cause: error },
          );
        default:
          return new UpstreamError(
            'UPSTREAM_ERROR',
            `request to server "${this.id}" failed (${error.code})`,
            { cause: error },
          );
      }
    }
    if ((error as Error | undefined)?.name === 'AbortError') return error as Error;
    return new UpstreamError('UPSTREAM_ERROR', `request to server "${this.id}" failed`, {
      cause: error,
    });
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
        this.hooks.event(this.id, { kind: 'hung' });
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

const methodFlag = (
  method: (typeof SERVER_REQUESTS)[number],
): 'sampling' | 'elicitation' | 'roots' =>
  method === 'sampling/createMessage'
    ? 'sampling'
    : method === 'elicitation/create'
      ? 'elicitation'
      : 'roots';

/**
 * Applies size and depth limits to messages the SDK's HTTP client transport has already parsed,
 * by wrapping whatever `onmessage` the client installs. A refused response becomes an error for its id.
 */
const guardIncoming = (
  transport: Transport,
  limits: { maxMessageBytes: number; maxDepth: number },
  onRefused: (reason: string) => void,
  redact: Redactor,
): void => {
  let inner: Transport['onmessage'];
  const guarded: Transport['onmessage'] = afterNotifications(
    (message: JSONRPCMessage, extra?: MessageExtraInfo) => {
      const verdict = checkValue(message, limits);
      // A server that echoes its own credential gets it redacted before anything else sees it.
      if (verdict.ok) return inner?.(redact(message), extra);
      onRefused(verdict.message);
      const id = (message as { id?: unknown }).id;
      if (typeof id === 'string' || typeof id === 'number')
        inner?.(
          {
            jsonrpc: '2.0',
            id,
            error: {
              code: -32600,
              message: verdict.message,
              data: { code: verdict.code, mark: OWN_REFUSAL_MARK },
            },
          },
          extra,
        );
    },
  );
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    get: () => (inner ? guarded : undefined),
    set: (fn: Transport['onmessage']) => {
      inner = fn;
    },
  });
};

/**
 * A result without its server's own identity. A 2026-07-28 server stamps its `serverInfo` into the
 * `_meta` of every result (`io.modelcontextprotocol/serverInfo`); that describes the upstream's hop,
 * not the gateway. Passed on, a 2025 client would receive a key of the other era naming a server it
 * never connected to, and a 2026-07-28 client would take it for the gateway's own identity (the
 * SDK's front keeps a `serverInfo` already present instead of stamping toolgate's), so any upstream
 * could name itself as the server the agent talks to. The key is dropped; every other `_meta` entry
 * (related task, progress, vendor keys) passes.
 */
export const withoutUpstreamIdentity = (result: Result): Result => {
  const meta = result['_meta'];
  if (
    meta === null ||
    typeof meta !== 'object' ||
    Array.isArray(meta) ||
    !(SERVER_INFO_META_KEY in meta)
  )
    return result;
  const { [SERVER_INFO_META_KEY]: _upstream, ...kept } = meta as Record<string, unknown>;
  const { _meta: _all, ...rest } = result;
  return Object.keys(kept).length > 0 ? { ...rest, _meta: kept } : rest;
};

/** Each stdio connection's `tools/call` fast path (see fast-request.ts), while it lasts. */
const fastRequests = new WeakMap<Client, FastRequest>();
