import type { Client, Request, StandardSchemaV1Sync } from '@modelcontextprotocol/client';
import {
  Server,
  type Implementation,
  type JSONRPCRequest,
  type Result,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { logLine } from '../log.js';

/**
 * The one door to the SDK's private members: no other file names one. The SDK is pinned to exact
 * versions (docs/dependencies.md) and `sdk-internals.test.ts` holds the real `Client` and `Server`
 * to the shapes below, so an upgrade that moves a member fails CI by name. At run time each
 * accessor checks the members it lends before it lends them: a member missing or of another shape
 * turns its user off (logged once), and the caller takes the SDK's public path, where no private
 * member is called at all. A moved member costs speed, never a call.
 */

/** Who borrows SDK internals: four fast paths, and the front's error shaping. */
export type Borrower =
  'front-call' | 'stateless-call' | 'upstream-request' | 'result-schema' | 'error-shaping';

/** A private member the adapter relies on: its name and what it must be (a function of `arity`, or a number). */
export interface MemberSpec {
  readonly name: string;
  readonly kind: 'function' | 'number';
  readonly arity?: number;
}

const fn = (name: string, arity: number): MemberSpec => ({ name, kind: 'function', arity });

/** The members of the SDK `Client` (2.4.0) each borrower needs. */
export const CLIENT_MEMBERS = {
  'upstream-request': [
    { name: '_requestMessageId', kind: 'number' },
    fn('_envelopeOutbound', 1),
    fn('_resolveOutboundCodec', 1),
    fn('_resolveNonCompleteResult', 2),
    fn('_requestWithSchemaViaCodec', 4),
  ],
  'result-schema': [fn('_resolveOutboundCodec', 1)],
} as const satisfies Partial<Record<Borrower, readonly MemberSpec[]>>;

/** The members of the SDK `Server` (2.4.0) each borrower needs. */
export const SERVER_MEMBERS = {
  'front-call': [fn('_negotiatedWireCodec', 0), fn('_outboundServerInfo', 0)],
  'stateless-call': [fn('_resolveOutboundCodec', 1), fn('_outboundServerInfo', 0)],
  'error-shaping': [fn('_wrapHandler', 2)],
} as const satisfies Partial<Record<Borrower, readonly MemberSpec[]>>;

/** What is wrong with `target`'s `spec` member, or undefined when it has the expected shape. */
export const mismatch = (target: object, spec: MemberSpec): string | undefined => {
  const value: unknown = Reflect.get(target, spec.name);
  if (spec.kind === 'number')
    return typeof value === 'number' ? undefined : `${spec.name} is not a number (${typeof value})`;
  if (typeof value !== 'function') return `${spec.name} is not a function (${typeof value})`;
  return value.length === spec.arity
    ? undefined
    : `${spec.name} takes ${value.length} arguments, not ${spec.arity}`;
};

const reported = new Set<Borrower>();

/** Turns `who` off for this process's log: said once, with why. Always undefined (the caller's "off"). */
const off = (who: Borrower, reason: string, level: 'info' | 'warn' = 'warn'): undefined => {
  if (reported.has(who)) return undefined;
  reported.add(who);
  logLine(level, `SDK internals not borrowed for ${who}: the public SDK path serves instead`, {
    fastPath: who,
    reason,
  });
  return undefined;
};

/**
 * Whether `TOOLGATE_FAST_PATHS` leaves `path` on: unset, every fast path is; `off`, none is; else
 * the comma-separated names listed are. A switch for measuring what each fast path earns, and a
 * way out should one misbehave.
 */
const switchedOn = (path: Borrower): boolean => {
  const setting = process.env['TOOLGATE_FAST_PATHS'];
  if (setting === undefined || path === 'error-shaping') return true;
  return setting
    .split(',')
    .map((name) => name.trim())
    .includes(path);
};

/** Whether `who` stays off for `target`: switched off, or a member of `specs` missing or reshaped. */
const refused = (who: Borrower, target: object, specs: readonly MemberSpec[]): boolean => {
  if (!switchedOn(who)) {
    off(who, 'switched off by TOOLGATE_FAST_PATHS', 'info');
    return true;
  }
  for (const spec of specs) {
    const wrong = mismatch(target, spec);
    if (wrong) {
      off(who, `SDK internals changed: ${wrong}`);
      return true;
    }
  }
  return false;
};

/** A synchronous Standard Schema result check, as `client.request(request, schema)` takes it. */
export type ResultSchema = StandardSchemaV1Sync<unknown, unknown>;

type Outcome = { ok: true; value: unknown } | { ok: false; reason: string; message?: string };

/** What the era codec says about a raw result: complete, invalid, or a kind the `Client` resolves (input_required). */
export type Decoded =
  { kind: 'complete'; result: unknown } | { kind: 'invalid'; error: Error } | { kind: string };

/** The SDK `Client`'s wire codec for one method in the connection's era. */
export interface ClientCodec {
  readonly era: string;
  hasRequestMethod(method: string): boolean;
  decodeResult(method: string, raw: unknown): Decoded;
  validateResult(method: string, value: unknown): Outcome;
}

interface RawClient {
  _requestMessageId: number;
  _envelopeOutbound(message: Record<string, unknown>): Record<string, unknown>;
  _resolveOutboundCodec(method: string): ClientCodec;
  _resolveNonCompleteResult(decoded: Decoded, flow: unknown): Promise<unknown>;
  _requestWithSchemaViaCodec(
    codec: ClientCodec,
    request: Request,
    schema: ResultSchema,
    options: unknown,
  ): Promise<unknown>;
}

/** What the upstream fast path borrows from one connected `Client`. */
export interface ClientInternals {
  /** The next id of the SDK's own counter, so ids never collide with its requests on the connection. */
  readonly nextRequestId: () => number;
  /** The message with the era's outbound `_meta` envelope (2026-07-28: version, client info, capabilities). */
  readonly envelope: (message: Record<string, unknown>) => Record<string, unknown>;
  readonly codec: (method: string) => ClientCodec;
  /** The SDK's multi-round-trip engine for an `input_required` result. */
  readonly resolveNonComplete: (decoded: Decoded, flow: unknown) => Promise<unknown>;
  /** One leg of that engine, through the SDK's own request funnel. */
  readonly requestViaCodec: (
    codec: ClientCodec,
    request: Request,
    schema: ResultSchema,
    options: unknown,
  ) => Promise<unknown>;
}

/** The upstream fast path's internals of `client`, or undefined (the fast path is off). */
export const clientInternals = (client: Client): ClientInternals | undefined => {
  if (refused('upstream-request', client, CLIENT_MEMBERS['upstream-request'])) return undefined;
  const raw = client as unknown as RawClient;
  return {
    nextRequestId: () => raw._requestMessageId++,
    envelope: (message) => raw._envelopeOutbound(message),
    codec: (method) => raw._resolveOutboundCodec(method),
    resolveNonComplete: (decoded, flow) => raw._resolveNonCompleteResult(decoded, flow),
    requestViaCodec: (codec, request, schema, options) =>
      raw._requestWithSchemaViaCodec(codec, request, schema, options),
  };
};

/** The `Client`'s era codec lookup for building result checks once, or undefined (off). */
export const outboundCodecs = (client: Client): ((method: string) => ClientCodec) | undefined => {
  if (refused('result-schema', client, CLIENT_MEMBERS['result-schema'])) return undefined;
  const raw = client as unknown as RawClient;
  return (method) => raw._resolveOutboundCodec(method);
};

/** The SDK `Server`'s wire codec of a negotiated era: the functions it validates and encodes with. */
interface ServerWireCodec {
  hasRequestMethod(method: string): boolean;
  validateRequest(method: string, value: unknown): Outcome;
  validateResult(method: string, value: unknown): Outcome;
  encodeResult(method: string, result: Result, serverInfo?: Implementation): Result;
  encodeErrorCode(code: number): number;
}

/** The 2026-07-28 codec also checks a request's lifted envelope and projects results for its era. */
interface ModernWireCodec extends ServerWireCodec {
  readonly era: string;
  checkInboundEnvelope(lifted: { envelope?: Record<string, unknown> }): string | undefined;
  projectCallToolResult(result: Result, outputSchema: undefined): unknown;
}

interface RawServer {
  _negotiatedWireCodec(): Partial<ServerWireCodec> | undefined;
  _resolveOutboundCodec(method: string): Partial<ModernWireCodec> | undefined;
  _outboundServerInfo(): Implementation | undefined;
}

/** What the stdio front's fast path borrows from one initialized `Server`. */
export interface ServerInternals {
  readonly codec: ServerWireCodec;
  /** The server's own identity, as the SDK stamps it into results of eras that carry it. */
  readonly serverInfo: () => Implementation | undefined;
}

const CODEC_API: ReadonlyArray<keyof ServerWireCodec> = [
  'hasRequestMethod',
  'validateRequest',
  'validateResult',
  'encodeResult',
  'encodeErrorCode',
];

const servers = new WeakMap<object, ServerInternals>();

/**
 * The front fast path's internals of an initialized `server` (its era is settled, so they are kept
 * per server), or undefined (the fast path is off).
 */
export const serverInternals = (server: Server): ServerInternals | undefined => {
  const known = servers.get(server);
  if (known) return known;
  if (refused('front-call', server, SERVER_MEMBERS['front-call'])) return undefined;
  const raw = server as unknown as RawServer;
  const codec = raw._negotiatedWireCodec();
  const missing = CODEC_API.find((name) => typeof codec?.[name] !== 'function');
  if (missing) return off('front-call', `SDK internals changed: the wire codec has no ${missing}`);
  const internals: ServerInternals = {
    codec: codec as ServerWireCodec,
    serverInfo: () => raw._outboundServerInfo(),
  };
  servers.set(server, internals);
  return internals;
};

export type RequestHandler = (request: JSONRPCRequest, ctx: ServerContext) => Promise<Result>;

/**
 * The `Server` class whose every request handler is wrapped by `wrap` around the SDK's own wrapping
 * (request schema check, result checks): the SDK's hook for subclasses, `_wrapHandler`. When the hook
 * has another shape, the plain `Server` (errors leave as the SDK words them; logged once).
 */
export const serverWrappingHandlers = (
  wrap: (method: string, handler: RequestHandler) => RequestHandler,
  base: typeof Server = Server,
): typeof Server => {
  if (refused('error-shaping', base.prototype, SERVER_MEMBERS['error-shaping'])) return base;
  return class extends base {
    protected override _wrapHandler(method: string, handler: RequestHandler): RequestHandler {
      return wrap(method, super._wrapHandler(method, handler));
    }
  };
};

/** The one modern revision the stateless fast path answers (its codec's `era`). */
export const MODERN_REVISION = '2026-07-28';

/** What the stateless (2026-07-28) HTTP fast path borrows: the era's codec and a server's identity. */
export interface ModernInternals extends ServerInternals {
  readonly codec: ModernWireCodec;
}

const MODERN_API: ReadonlyArray<keyof ModernWireCodec> = [
  ...CODEC_API,
  'checkInboundEnvelope',
  'projectCallToolResult',
];

/**
 * The 2026-07-28 codec and `server`'s identity, for answering stateless requests without a
 * per-request `Server`, or undefined (the fast path is off). `server` must never negotiate: the SDK
 * pins `server/discover` to the modern codec only while no revision is negotiated, and that pinned
 * codec is the one the SDK serves every 2026-07-28 request with.
 */
export const modernInternals = (server: Server): ModernInternals | undefined => {
  if (refused('stateless-call', server, SERVER_MEMBERS['stateless-call'])) return undefined;
  const raw = server as unknown as RawServer;
  const codec = raw._resolveOutboundCodec('server/discover');
  const missing = MODERN_API.find((name) => typeof codec?.[name] !== 'function');
  if (missing)
    return off('stateless-call', `SDK internals changed: the wire codec has no ${missing}`);
  if (codec?.era !== MODERN_REVISION)
    return off('stateless-call', `SDK internals changed: the pinned codec is ${codec?.era}`);
  return { codec: codec as ModernWireCodec, serverInfo: () => raw._outboundServerInfo() };
};
