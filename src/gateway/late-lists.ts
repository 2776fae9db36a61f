import type { ListMethod } from './rewrite.js';

type Items = readonly Record<string, unknown>[];

/** How one server's part of a list came out: in time (its items, or `undefined` when it failed), or late. */
export type ListWait =
  { readonly kind: 'in-time'; readonly items: Items | undefined } | { readonly kind: 'late' };

interface Entry {
  readonly fetch: Promise<Items | undefined>;
  /** Lists waiting on the fetch whose budget has not run out yet. */
  waiting: number;
  /** What the server answered after every list waiting on it had answered without it. */
  items?: Items;
}

/**
 * One session's per-server list fetches, so a list never waits on a server past its budget and the
 * server's answer is not lost when it comes later. A list of the session joins a fetch still running
 * instead of starting another. A fetch that ends with no list waiting keeps its result for the next
 * list (taken once) and tells the client that the list changed. Taking that result, rather than asking
 * the server again, ends the loop a server slower than the budget would otherwise cause (list, late
 * answer, list_changed, list, late answer, ...).
 *
 * @example
 * const late = new LateLists((method) => notifyClient(LIST_KINDS[method].changed));
 * const wait = await late.wait('tools/list', 'slow', 3000, signal, () => fetchTools('slow', late.signal));
 */
export class LateLists {
  private readonly entries = new Map<string, Entry>();
  /** Made when a fetch first asks for the signal: most sessions (every stateless request) never list. */
  private closing: AbortController | undefined;
  private closed = false;
  private readonly onLate: (method: ListMethod) => void;

  constructor(onLate: (method: ListMethod) => void) {
    this.onLate = onLate;
  }

  /** Aborted when the session ends: its fetches stop waiting for a server nobody will list again. */
  get signal(): AbortSignal {
    this.closing ??= new AbortController();
    if (this.closed) this.closing.abort();
    return this.closing.signal;
  }

  /**
   * Waits at most `budgetMs` (or until `signal` aborts) for `server`'s part of a `method` list: a
   * late result kept from before, else the fetch running, else a new `fetch()`, which must not reject.
   */
  wait(
    method: ListMethod,
    server: string,
    budgetMs: number,
    signal: AbortSignal,
    fetch: () => Promise<Items | undefined>,
  ): Promise<ListWait> {
    const key = `${method} ${server}`;
    const kept = this.entries.get(key);
    if (kept?.items) {
      this.entries.delete(key);
      return Promise.resolve({ kind: 'in-time', items: kept.items });
    }
    const entry = kept ?? this.track(key, method, fetch());
    entry.waiting++;
    return new Promise((resolve) => {
      let done = false;
      const finish = (wait: ListWait) => {
        if (done) return;
        done = true;
        // Synchronously, so the fetch's own settle handler counts only the lists still in time.
        entry.waiting--;
        clearTimeout(timer);
        signal.removeEventListener('abort', late);
        resolve(wait);
      };
      const late = () => finish({ kind: 'late' });
      const timer = setTimeout(late, budgetMs);
      signal.addEventListener('abort', late, { once: true });
      void entry.fetch.then((items) => finish({ kind: 'in-time', items }));
    });
  }

  /** Drops what `server` said late for `method` (it has announced a change: the next list asks again). */
  forget(method: ListMethod, server: string): void {
    this.entries.delete(`${method} ${server}`);
  }

  /** The session ended. */
  close(): void {
    this.entries.clear();
    this.closed = true;
    this.closing?.abort();
  }

  private track(key: string, method: ListMethod, fetch: Promise<Items | undefined>): Entry {
    const entry: Entry = { fetch, waiting: 0 };
    this.entries.set(key, entry);
    // Registered before any list's own handler: when the fetch settles, `waiting` counts the lists in time.
    void fetch.then((items) => {
      if (this.entries.get(key) !== entry) return;
      if (entry.waiting > 0 || items === undefined || this.closed) {
        this.entries.delete(key);
        return;
      }
      entry.items = items;
      this.onLate(method);
    });
    return entry;
  }
}
