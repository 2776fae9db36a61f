import { randomUUID } from 'node:crypto';
import { limitsOf, type Config } from '../config/schema.js';
import type { Result } from '../core/interceptor.js';
import { RouteError } from '../errors.js';
import type { Sessions, FrontSession } from './sessions.js';
import type { GatewayState } from './state.js';
import { LIST_KINDS, type ListChangedMethod, type ListMethod } from './rewrite.js';

type Item = Record<string, unknown>;

interface Snapshot {
  readonly items: readonly Item[];
  readonly field: string;
}

const MAX_UPSTREAM_PAGES = 100;
const MAX_SNAPSHOTS_PER_SESSION = 8;

/**
 * The aggregated lists: every server's full list (its own pages followed, bounded), each through the
 * chain, namespaced, then served in pages of `pageSize` from a per-session snapshot, with the
 * gateway's own cursors. A server that is down is skipped and one that does not answer within its
 * `listTimeoutMs` (a start included) is left out; the client gets list_changed when it comes.
 */
export class Lists {
  private readonly state: GatewayState;
  private readonly sessions: Sessions;
  private readonly snapshots = new Map<string, Map<string, Snapshot>>();
  /** Per server: the lists answered without it, announced as list_changed to every client when it (re)starts. */
  private readonly missed = new Map<string, Set<ListChangedMethod>>();
  /** How long a list waits for each server (`limits.listTimeoutMs`, per server or top level). */
  private budgets: ReadonlyMap<string, number>;

  constructor(state: GatewayState, sessions: Sessions) {
    this.state = state;
    this.sessions = sessions;
    this.budgets = budgetsOf(state.config);
  }

  /** Follows a reloaded config's budgets. */
  configure(config: Config): void {
    this.budgets = budgetsOf(config);
  }

  /** The session ended: its snapshots go. */
  forget(sessionId: string): void {
    this.snapshots.delete(sessionId);
  }

  /** The first page of a fresh aggregated list, or the page `cursor` names. */
  async list(
    session: FrontSession,
    method: ListMethod,
    cursor: unknown,
    signal: AbortSignal,
  ): Promise<Result> {
    const kind = LIST_KINDS[method];
    if (cursor !== undefined) return this.page(session, method, cursor);
    const perServer = await Promise.all(
      this.state.servers().map((server) => this.listWithin(session, server, method, signal)),
    );
    const items = perServer.flat();
    const snapshotId = randomUUID();
    let sessionSnapshots = this.snapshots.get(session.id);
    if (!sessionSnapshots)
      this.snapshots.set(session.id, (sessionSnapshots = new Map<string, Snapshot>()));
    sessionSnapshots.set(snapshotId, { items, field: kind.field });
    if (sessionSnapshots.size > MAX_SNAPSHOTS_PER_SESSION)
      sessionSnapshots.delete(sessionSnapshots.keys().next().value as string);
    return this.slice(snapshotId, { items, field: kind.field }, 0);
  }

  /** `server` (re)started: the lists answered without it are announced as changed to every client. */
  started(server: string): void {
    const kinds = this.missed.get(server);
    if (!kinds) return;
    this.missed.delete(server);
    for (const method of kinds) void this.sessions.announce(method);
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
  ): Promise<readonly Item[]> {
    const upstream = this.state.upstream(server);
    if (!upstream || !this.supports(server, LIST_KINDS[method].capability)) return [];
    if (upstream.state !== 'ready' && upstream.state !== 'starting') {
      this.miss(server, method, `server "${server}" is ${upstream.state}`);
      return [];
    }
    const budgetMs = this.budgets.get(server) ?? 0;
    const late = this.sessions.lateLists(session.id);
    const wait = await late.wait(method, server, budgetMs, signal, () =>
      this.listServer(session, server, method, late.signal).catch((error: unknown) => {
        // A session that ended stopped the fetch itself: the budget already reported the server missing.
        if (!late.signal.aborted) this.miss(server, method, (error as Error).message);
        return undefined;
      }),
    );
    if (wait.kind === 'in-time') return wait.items ?? [];
    this.miss(server, method, `server "${server}" did not answer ${method} within ${budgetMs} ms`);
    return [];
  }

  /** A list answered without `server`: logged, and remembered for when the server (re)starts. */
  private miss(server: string, method: ListMethod, reason: string): void {
    this.state.events.note({ kind: 'list-partial', server, method, reason });
    let kinds = this.missed.get(server);
    if (!kinds) this.missed.set(server, (kinds = new Set()));
    kinds.add(LIST_KINDS[method].changed);
  }

  private supports(server: string, capability: string): boolean {
    const caps = this.state.upstream(server)?.serverInfo.capabilities;
    // Before the first connect we do not know yet: ask, and let the upstream answer or fail.
    return caps === undefined || capability in caps;
  }

  /** Every page of one server's list, each through the chain, namespaced. */
  private async listServer(
    session: FrontSession,
    server: string,
    method: ListMethod,
    signal: AbortSignal,
  ): Promise<Item[]> {
    const kind = LIST_KINDS[method];
    const items: Item[] = [];
    let cursor: unknown;
    for (let page = 0; page < MAX_UPSTREAM_PAGES; page++) {
      const result = await this.state.send({
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
        for (const item of list as Item[]) {
          const namespace = this.state.namespace;
          const published = kind.toPublic(item, server, namespace);
          // untrusted: an unprefixed server's "other__tool" would be taken for the other server's tool (NS-3).
          if (namespace.routesTo(server, String(published[kind.key]), kind.route))
            items.push(published);
          else
            this.state.events.note({
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
    return this.slice(decoded.snapshot, snapshot, decoded.offset);
  }

  private slice(snapshotId: string, snapshot: Snapshot, offset: number): Result {
    const size = this.state.config.pageSize;
    const items = snapshot.items.slice(offset, offset + size);
    const next =
      offset + size < snapshot.items.length ? encodeCursor(snapshotId, offset + size) : undefined;
    return { [snapshot.field]: items, ...(next !== undefined && { nextCursor: next }) };
  }
}

const budgetsOf = (config: Config): ReadonlyMap<string, number> =>
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
