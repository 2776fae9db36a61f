import { SdkError, SdkErrorCode } from '@modelcontextprotocol/client';
import { isContainerServer, isStdioServer, limitsOf, type Config } from '../config/schema.js';
import { GatewayError, isGatewayError, LockError } from '../errors.js';
import type { InitializeInfo, Result } from '../core/interceptor.js';
import { createOutbound } from '../transport/outbound.js';
import { Upstream } from '../upstream/upstream.js';
import type { Captured } from '../pins/diff.js';
import { hashItem, ITEM_KIND_NAMES, ITEM_KINDS, itemKey, type ItemKind } from '../pins/hash.js';
import {
  emptyLockServer,
  toInitializeRecord,
  toLockItem,
  type LockPackage,
  type LockServer,
} from '../pins/lock.js';

interface Exit {
  readonly code: number | null;
  readonly signal: string | null;
}

/** How long a failed start waits for the server's exit status once its pipe closed. */
const EXIT_WAIT_MS = 2000;

/** Waits for `promise`, at most `ms` (the timer holds the process open meanwhile, then is cleared). */
const within = async (promise: Promise<void>, ms: number): Promise<void> => {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
};

const isTimeout = (error: unknown): boolean =>
  error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout;

const CAPABILITY: Record<ItemKind, string> = {
  tools: 'tools',
  prompts: 'prompts',
  resources: 'resources',
  resourceTemplates: 'resources',
};
const MAX_PAGES = 100;

/**
 * Starts one server exactly as `run` does (same client identity, capabilities and transport, so a
 * server that baits by clientInfo shows the lock what it will show the gateway), and captures its
 * initialize result and every list, all pages.
 */
export const captureServer = async (
  config: Config,
  id: string,
  onStderr: (line: string) => void = () => undefined,
): Promise<Captured> => {
  const server = config.servers[id];
  if (!server) throw new Error(`no server "${id}" in the config`);
  let init: InitializeInfo | undefined;
  let exit: Exit | undefined;
  let exited: (() => void) | undefined;
  const exitSeen = new Promise<void>((resolve) => {
    exited = resolve;
  });
  const upstream = new Upstream(
    id,
    { ...server, restart: { ...server.restart, maxRetries: 0 } },
    limitsOf(config, server),
    {
      // No audit log is open while locking: the way out has nothing to write first.
      outbound: createOutbound(),
      serverRequest: () =>
        Promise.reject(new Error('server-to-client requests are not answered while locking')),
      notification: () => Promise.resolve(),
      event: (_, event) => {
        if (event.kind === 'stderr') onStderr(event.line);
        if (event.kind === 'exited') {
          exit = { code: event.code, signal: event.signal };
          exited?.();
        }
        return Promise.resolve();
      },
      initialized: (_, info) => {
        init = info;
      },
    },
  );
  try {
    try {
      await upstream.start();
    } catch (error) {
      // The pipe can close before the exit status arrives: wait for it (briefly) to say "exited".
      if (
        !(error instanceof GatewayError) &&
        !isTimeout(error) &&
        (isStdioServer(server) || isContainerServer(server))
      )
        await within(exitSeen, EXIT_WAIT_MS);
      throw toStartError(id, error, exit, server.restart.startTimeoutMs);
    }
    if (!init) throw new Error('no initialize result');
    const initialize: InitializeInfo = init;
    return await captureLists(upstream, initialize, limitsOf(config, server).callTimeoutMs);
  } finally {
    await upstream.stop();
  }
};

/** Every list the server's capabilities announce, all pages; an item listed twice differently is kept as relisted. */
const captureLists = async (
  upstream: Upstream,
  initialize: InitializeInfo,
  callTimeoutMs: number,
): Promise<Captured> => {
  const items = {} as Record<ItemKind, Record<string, Record<string, unknown>>>;
  const relisted: { kind: ItemKind; key: string; item: Record<string, unknown> }[] = [];
  for (const kind of ITEM_KIND_NAMES) {
    items[kind] = {};
    if (!(CAPABILITY[kind] in initialize.capabilities)) continue;
    let cursor: unknown;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result: Result = await upstream.request(
        ITEM_KINDS[kind].method,
        cursor === undefined ? {} : { cursor },
        {
          signal: AbortSignal.timeout(callTimeoutMs),
        },
      );
      const list = result[ITEM_KINDS[kind].field];
      for (const item of Array.isArray(list) ? list : []) {
        if (typeof item !== 'object' || item === null) continue;
        const key = itemKey(kind, item as Record<string, unknown>);
        if (key === undefined) continue;
        const first = items[kind][key];
        if (first === undefined) items[kind][key] = item as Record<string, unknown>;
        else if (hashItem(first) !== hashItem(item))
          relisted.push({ kind, key, item: item as Record<string, unknown> });
      }
      cursor = result['nextCursor'];
      if (typeof cursor !== 'string' || cursor.length === 0) break;
    }
  }
  return { initialize, items, ...(relisted.length > 0 && { relisted }) };
};

/**
 * Why a server did not start, as a stable code: a GatewayError (sandbox, secrets, package) keeps
 * its own; otherwise the process exited, the initialize handshake timed out, or something else failed.
 */
const toStartError = (
  id: string,
  error: unknown,
  exit: Exit | undefined,
  startTimeoutMs: number,
): GatewayError => {
  if (isGatewayError(error)) return error;
  if (isTimeout(error))
    return new LockError(
      'LOCK_SERVER_TIMEOUT',
      `server "${id}" did not answer initialize within ${startTimeoutMs} ms (restart.startTimeoutMs)`,
      { cause: error },
    );
  if (exit !== undefined)
    return new LockError(
      'LOCK_SERVER_EXITED',
      `server "${id}" exited (${exit.signal ?? `code ${exit.code}`}) before it answered initialize`,
      { cause: error },
    );
  return new LockError(
    'LOCK_SERVER_FAILED',
    `server "${id}" could not be started: ${withCauses(error)}`,
    { cause: error },
  );
};

/** An error's message with those of its causes ("fetch failed" says little; "connect ECONNREFUSED …" does). */
const withCauses = (error: unknown): string => {
  const messages: string[] = [];
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++)
    if (!messages.some((m) => m.includes(e.message))) messages.push(e.message);
  return messages.join(': ') || String(error);
};

/** A captured server as its lock entry. */
export const toLockServer = (pkg: LockPackage, captured: Captured): LockServer => {
  const entry = emptyLockServer(pkg, toInitializeRecord(captured.initialize));
  for (const kind of ITEM_KIND_NAMES)
    for (const [key, definition] of Object.entries(captured.items[kind]))
      entry[kind][key] = toLockItem(definition);
  return entry;
};
