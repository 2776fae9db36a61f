import {
  isInitializeRequest,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import type { Gateway } from '../gateway/gateway.js';
import { FrameError, HttpError } from '../errors.js';
import type { Principal } from '../core/principal.js';
import { createFrontServer, type FrontServer } from './front-server.js';
import { sendLogged } from '../transport/outbound.js';
import { mintSessionId, replicaName } from '../cluster/replica.js';
import type { CallObserver } from './metrics.js';

export interface LegacySession {
  /** Its id, as the client sends it in `Mcp-Session-Id`. */
  readonly id: string;
  readonly transport: WebStandardStreamableHTTPServerTransport;
  readonly front: FrontServer;
  /** The caller that created the session; no one else may use it (HTTP-4). */
  readonly caller: string;
  /** The remote address it was opened from, for the per-address cap. */
  readonly address: string;
  lastSeen: number;
  /** POST/DELETE exchanges in progress: a session busy with a long call is not idle. */
  busy: number;
  /** Request ids awaiting their response: the SDK transport routes responses by id alone. */
  readonly pending: Set<string | number>;
}

export interface LegacySessionsOptions {
  readonly maxSessions: number;
  readonly maxSessionsPerCaller: number;
  readonly maxSessionsPerAddress: number;
  readonly idleMs: number;
  readonly maxRequestBodySize: number;
  /** Told of every request the sessions serve (the metrics); none by default. */
  readonly observe?: CallObserver;
}

/**
 * The 2025-era Streamable HTTP sessions: one SDK transport and one front server per session,
 * created by an `initialize` POST and bound to the caller that sent it. Session ids are this
 * replica's name and a random UUID (never derived from anything the client sent): an ingress routes
 * by the name, and another replica answers 404. Idle sessions are closed.
 */
export class LegacySessions {
  private readonly sessions = new Map<string, LegacySession>();
  private readonly gateway: Gateway;
  private readonly options: LegacySessionsOptions;
  private readonly sweeper: NodeJS.Timeout;
  private readonly replica = replicaName();

  constructor(gateway: Gateway, options: LegacySessionsOptions) {
    this.gateway = gateway;
    this.options = options;
    this.sweeper = setInterval(
      () => this.sweep(),
      Math.min(Math.max(options.idleMs / 4, 250), 60_000),
    );
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /**
   * The session `id` when `caller` owns it (the HTTP front's fast path, `http-fast.ts`, serves some
   * exchanges of it without the SDK transport). Undefined sends the exchange to {@link handle}, which
   * refuses an unknown or foreign session with its code.
   */
  owned(id: string, caller: string): LegacySession | undefined {
    const session = this.sessions.get(id);
    return session?.caller === caller ? session : undefined;
  }

  /**
   * Serves one legacy exchange for `caller`. Throws an HttpError (never a bare Error) for a request
   * the session layer refuses; the caller maps it to the wire.
   */
  async handle(
    request: Request,
    caller: string,
    address: string,
    parsedBody: unknown,
    principal?: Principal,
  ): Promise<Response> {
    const id = request.headers.get('mcp-session-id');
    if (id === null) return this.open(request, caller, address, parsedBody, principal);
    const session = this.sessions.get(id);
    if (!session)
      throw new HttpError(
        'HTTP_SESSION_UNKNOWN',
        'unknown or expired session: initialize a new one',
      );
    if (session.caller !== caller)
      throw new HttpError('HTTP_SESSION_FORBIDDEN', 'this session belongs to another caller');
    // A second request reusing an id still in flight would steal the first one's response stream
    // and leave one of them hanging forever: refuse it.
    const requestId = requestIdOf(parsedBody);
    if (requestId !== undefined && session.pending.has(requestId))
      throw new FrameError(
        'FRAME_INVALID_JSONRPC',
        `request id ${JSON.stringify(requestId)} is already in flight in this session`,
      );
    if (requestId !== undefined) session.pending.add(requestId);
    const counts = request.method !== 'GET';
    session.lastSeen = Date.now();
    if (counts) session.busy++;
    try {
      const response = await session.transport.handleRequest(
        request,
        parsedBody === undefined ? {} : { parsedBody },
      );
      // Refused before dispatch: no response will ever be sent for this id.
      if (requestId !== undefined && response.status !== 200) session.pending.delete(requestId);
      return response;
    } catch (error) {
      if (requestId !== undefined) session.pending.delete(requestId);
      throw error;
    } finally {
      if (counts) session.busy--;
      session.lastSeen = Date.now();
    }
  }

  private async open(
    request: Request,
    caller: string,
    address: string,
    parsedBody: unknown,
    authenticated?: Principal,
  ): Promise<Response> {
    if (request.method !== 'POST' || !isInitializeRequest(parsedBody))
      throw new HttpError(
        'HTTP_SESSION_UNKNOWN',
        'no Mcp-Session-Id header: send initialize first',
      );
    if (this.sessions.size >= this.options.maxSessions)
      throw new HttpError(
        'HTTP_TOO_MANY_SESSIONS',
        `the gateway already serves ${this.options.maxSessions} sessions`,
      );
    this.makeRoom(caller, address);
    const front = createFrontServer(
      this.gateway,
      authenticated ?? { id: `http:${caller.slice(0, 16)}`, transport: 'http' },
      'legacy',
      this.options.observe,
    );
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => mintSessionId(this.replica),
      maxRequestBodySize: this.options.maxRequestBodySize,
      onsessioninitialized: (sessionId) => {
        this.sessions.set(sessionId, {
          id: sessionId,
          transport,
          front,
          caller,
          address,
          lastSeen: Date.now(),
          busy: 0,
          pending,
        });
      },
    });
    const pending = new Set<string | number>();
    const send = sendLogged(this.gateway.outbound, transport.send.bind(transport));
    transport.send = async (message, options) => {
      try {
        await send(message, options);
      } finally {
        if ('id' in message && !('method' in message))
          pending.delete(message.id as string | number);
      }
    };
    transport.onclose = () => {
      if (transport.sessionId !== undefined) this.sessions.delete(transport.sessionId);
      front.detach();
    };
    await front.server.connect(transport);
    const response = await transport.handleRequest(request, { parsedBody });
    // A refused initialize never registers a session; do not leak its server.
    if (transport.sessionId === undefined || !this.sessions.has(transport.sessionId))
      await transport.close();
    return response;
  }

  /**
   * Refuses a new session past the per-caller and per-address caps (HTTP-6): one caller (or one
   * address with many tokens) must not take every session for the idle timeout. Clients rarely DELETE
   * their sessions: at its cap, a caller's own least recently used idle session makes room, so it
   * never locks itself out, and it still never holds more than its share.
   */
  private makeRoom(caller: string, address: string): void {
    const own = [...this.sessions.entries()].filter(([, s]) => s.caller === caller);
    if (own.length >= this.options.maxSessionsPerCaller) {
      const idle = own
        .filter(([, s]) => s.busy === 0)
        .sort(([, a], [, b]) => a.lastSeen - b.lastSeen)[0];
      if (!idle)
        throw new HttpError(
          'HTTP_CALLER_SESSIONS',
          `this caller already has ${this.options.maxSessionsPerCaller} sessions in use`,
        );
      this.sessions.delete(idle[0]);
      void idle[1].transport.close().catch(() => undefined);
    }
    let ofAddress = 0;
    for (const s of this.sessions.values()) if (s.address === address) ofAddress++;
    if (ofAddress >= this.options.maxSessionsPerAddress)
      throw new HttpError(
        'HTTP_CALLER_SESSIONS',
        `this address already has ${this.options.maxSessionsPerAddress} sessions: close one (DELETE) first`,
      );
  }

  private sweep(): void {
    const cutoff = Date.now() - this.options.idleMs;
    for (const session of this.sessions.values())
      if (session.busy === 0 && session.lastSeen < cutoff)
        void session.transport.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all(
      [...this.sessions.values()].map((s) => s.transport.close().catch(() => undefined)),
    );
    this.sessions.clear();
  }
}

/** The id of a JSON-RPC request (not of a response or notification, which wait for nothing). */
const requestIdOf = (body: unknown): string | number | undefined => {
  const m = body as { id?: unknown; method?: unknown } | undefined;
  return typeof m?.method === 'string' && (typeof m.id === 'string' || typeof m.id === 'number')
    ? m.id
    : undefined;
};
