import { randomUUID } from 'node:crypto';
import {
  CLIENT_CAPABILITIES_META_KEY,
  isInputRequiredResult,
  ProtocolError,
  type CallToolResult,
  type ProgressNotification,
  type RequestMethod,
  type ResultTypeMap,
  type Server,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { FrameError } from '../errors.js';
import type { Gateway } from '../gateway/gateway.js';
import type { FrontSession } from '../gateway/sessions.js';
import type { ClientChannel, InBandInput, Params } from '../core/interceptor.js';
import type { Principal } from '../core/principal.js';
import { VERSION } from '../version.js';
import type { ListMethod } from '../gateway/rewrite.js';
import { toProtocolError } from '../transport/to-json-rpc-error.js';
import { serverWrappingHandlers, type RequestHandler } from '../transport/sdk-internals.js';
import type { CallObserver } from './metrics.js';

const LIST_METHODS: readonly ListMethod[] = [
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
];
const ITEM_METHODS = [
  'tools/call',
  'prompts/get',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'completion/complete',
] as const;

export interface FrontServer {
  readonly server: Server;
  readonly gateway: Gateway;
  readonly session: FrontSession;
  /** Detaches the session from the gateway. */
  readonly detach: () => void;
  /** Told of every request the session serves and how it ended (the HTTP front's metrics). */
  readonly observe: CallObserver;
}

/** Observes nothing (the stdio front has no metrics endpoint). */
export const UNOBSERVED: CallObserver = () => () => undefined;

/** Our handlers throw only coded errors (`toProtocolError`): `data.code` tells them from the SDK's. */
const isCoded = (error: unknown): boolean =>
  error instanceof ProtocolError &&
  typeof (error.data as { code?: unknown } | undefined)?.code === 'string';

/**
 * The SDK checks a request against its schema before our handler runs, and a failure leaves with the
 * validator's whole dump (a `ref/tool` completion: -32603 and a zod issue list). Around the SDK's own
 * handler wrapping, every uncoded error becomes a coded one, internals dropped.
 */
const shapeErrors =
  (method: string, wrapped: RequestHandler): RequestHandler =>
  async (request, ctx) => {
    try {
      return await wrapped(request, ctx);
    } catch (error) {
      if (isCoded(error)) throw error;
      // A plain Error or an SDK InvalidParams here is the schema check (of the request, or of a tools/call result).
      const invalid = !(error instanceof ProtocolError) || error.code === -32602;
      throw toProtocolError(
        invalid
          ? new FrameError(
              'FRAME_INVALID_PARAMS',
              `${method}: the message does not match the MCP schema`,
            )
          : error,
      );
    }
  };

const FrontMcpServer = serverWrappingHandlers(shapeErrors);

/** Who every front session's server says it is (2026-07-28 results carry it in `_meta`). */
export const FRONT_IDENTITY = { name: 'toolgate', version: VERSION };

/**
 * Builds the client-facing MCP server of one front session with the official SDK (which speaks both
 * the 2025 and the 2026-07-28 revision). Every handler goes to the gateway; every error leaves
 * through `toProtocolError`, so the wire never sees internals.
 */
export const createFrontServer = (
  gateway: Gateway,
  principal: Principal,
  era: 'legacy' | 'modern',
  observe: CallObserver = UNOBSERVED,
): FrontServer => {
  const server = new FrontMcpServer(FRONT_IDENTITY, {
    capabilities: {
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { listChanged: true, subscribe: true },
      completions: {},
      ...(era === 'legacy' && { logging: {} }),
    },
    instructions:
      'toolgate: MCP security gateway. Tools are named <server>' +
      gateway.config.separator +
      '<tool>.',
  });
  const session: FrontSession = {
    id: randomUUID(),
    principal,
    era,
    subscriptions: new Set(),
    notify: (method, params) => server.notification({ method, params }),
  };

  for (const method of LIST_METHODS) {
    server.setRequestHandler(method, async (request, ctx) => {
      const done = observe(method);
      try {
        const result = (await gateway.list(
          session,
          method,
          request.params?.cursor,
          ctx.mcpReq.signal,
        )) as ResultTypeMap[typeof method];
        done();
        return result;
      } catch (error) {
        done(error);
        throw toProtocolError(error);
      }
    });
  }
  for (const method of ITEM_METHODS) {
    server.setRequestHandler(method, async (request, ctx) => {
      const done = observe(method);
      try {
        const params = (request.params ?? {}) as Params;
        const progress = progressForwarder(params, ctx);
        const result = await gateway.request(
          session,
          channelFor(server, session, ctx),
          method,
          params,
          ctx.mcpReq.signal,
          progress?.forward,
        );
        await progress?.flushed(); // progress must reach the client before the result does
        done();
        return method === 'tools/call' && !isInputRequiredResult(result)
          ? server.projectCallToolResult(result as CallToolResult, undefined)
          : result;
      } catch (error) {
        done(error);
        throw toProtocolError(error);
      }
    });
  }
  // Only the 2025 era has logging: registering the handler without the capability throws.
  if (era === 'legacy') server.setRequestHandler('logging/setLevel', () => Promise.resolve({}));
  return { server, gateway, session, detach: gateway.attach(session), observe };
};

/**
 * The way back to the client for a call the SDK did not dispatch (the stdio fast path): the same
 * requests and notifications, sent by the session's server rather than a request context. On stdio
 * the two are the same on the wire (a related request id only picks an HTTP stream).
 */
export const serverChannel = (front: FrontServer): ClientChannel => ({
  sessionId: front.session.id,
  era: front.session.era,
  canElicit: () => canElicit(front.server, front.session.era),
  request: (method, params, signal) =>
    front.server.request({ method: method as RequestMethod, params }, { signal }),
  notify: (method, params) => front.server.notification({ method, params }),
});

/** Only a 2025-era client can be sent a request mid-call, and only one that declared elicitation. */
const canElicit = (server: Server, era: 'legacy' | 'modern'): boolean =>
  era === 'legacy' && server.getClientCapabilities()?.elicitation !== undefined;

/**
 * What a 2026-07-28 request can be asked in band and echoed: the envelope's declared capabilities
 * (the SDK checks an `input_required` result against them again), the lifted `inputResponses`, and
 * the raw `requestState` (no SDK verify hook is configured: authz/ verifies it, with its own codes).
 */
const inBandOf = (ctx: ServerContext): InBandInput => {
  const envelope: Readonly<Record<string, unknown>> | undefined = ctx.mcpReq.envelope;
  const declared = envelope?.[CLIENT_CAPABILITIES_META_KEY] as
    { elicitation?: unknown } | undefined;
  const state: unknown = ctx.mcpReq.requestState();
  return {
    canElicit: declared?.elicitation !== undefined,
    responses: ctx.mcpReq.inputResponses,
    state: typeof state === 'string' ? state : undefined,
  };
};

/** The way back to the client for server→client requests made during this call (related to it). */
const channelFor = (server: Server, session: FrontSession, ctx: ServerContext): ClientChannel => ({
  sessionId: session.id,
  era: session.era,
  canElicit: () => canElicit(server, session.era),
  ...(session.era === 'modern' && { inBand: inBandOf(ctx) }),
  request: (method, params, signal) =>
    ctx.mcpReq.send({ method: method as RequestMethod, params }, { signal }),
  notify: (method, params) => ctx.mcpReq.notify({ method, params }),
});

/** Upstream progress goes to the client under the client's own progress token, in order. */
const progressForwarder = (params: Params, ctx: ServerContext) => {
  const token =
    ctx.mcpReq._meta?.progressToken ??
    (params['_meta'] as { progressToken?: unknown } | undefined)?.progressToken;
  if (typeof token !== 'string' && typeof token !== 'number') return undefined;
  let sent: Promise<void> = Promise.resolve();
  return {
    forward: (progress: Params) => {
      const { progress: value, total, message } = progress;
      const notification: ProgressNotification = {
        method: 'notifications/progress',
        params: {
          progressToken: token,
          progress: value as number,
          ...(total !== undefined && { total: total as number }),
          ...(message !== undefined && { message: message as string }),
        },
      };
      sent = sent.then(() => ctx.mcpReq.notify(notification)).catch(() => undefined);
    },
    flushed: () => sent,
  };
};
