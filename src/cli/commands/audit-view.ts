import { setTimeout as sleep } from 'node:timers/promises';
import type { EntryFilter, StoredEntry } from '../../audit/store.js';

// How `audit tail` and `audit query` show entries: a table for a person, the stored JSON lines for a
// program (the default when stdout is not a terminal), and `--follow`'s polling for new entries.

export const DECISIONS = ['forward', 'deny', 'result', 'error', 'event'] as const;
export type ViewFormat = 'table' | 'json';

/** The filters of `audit query`; `since`/`until` are UTC ISO strings (the parser normalizes them). */
export type EntryQuery = EntryFilter;

export const matches = (
  entry: Record<string, unknown>,
  q: EntryQuery,
  valueDigest: string | undefined,
): boolean => {
  const time = String(entry['time']);
  const digests = [entry['args'], entry['result']].map(
    (r) => (r as { hmac?: string } | undefined)?.hmac,
  );
  return (
    (q.agent === undefined || entry['principal'] === q.agent) &&
    (q.server === undefined || entry['server'] === q.server) &&
    (q.tool === undefined || entry['target'] === q.tool) &&
    (q.decision === undefined || entry['decision'] === q.decision) &&
    (q.since === undefined || time >= q.since) &&
    (q.until === undefined || time <= q.until) &&
    (valueDigest === undefined || digests.includes(valueDigest))
  );
};

const COLUMNS = [
  ['TIME', 19],
  ['AGENT', 14],
  ['SERVER', 14],
  ['TOOL', 24],
  ['DECISION', 8],
  ['REASONS', 0],
] as const;

// untrusted: names come from servers and agents; controls are shown as U+FFFD, long cells cut with an ellipsis.
const cell = (text: string, width: number): string => {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd');
  if (width === 0) return clean;
  return (clean.length > width ? clean.slice(0, width - 1) + '…' : clean).padEnd(width);
};

const row = (cells: readonly string[]): string =>
  cells
    .map((c, i) => cell(c, COLUMNS[i]?.[1] ?? 0))
    .join('  ')
    .trimEnd();

export const tableHeader = (): string => row(COLUMNS.map(([name]) => name));

/** What an `event` entry is about, in the reasons column (`upstream started`, `config-load`). */
const eventOf = (event: unknown): string => {
  const e = event as { kind?: unknown; event?: { kind?: unknown } } | undefined;
  return [e?.kind, e?.event?.kind].filter((k) => typeof k === 'string').join(' ');
};

/** One entry as a table row: time (UTC), agent, server, tool (or method), decision, reasons. */
export const tableRow = (body: string): string => {
  const e = JSON.parse(body) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return row([
    text(e['time']).replace('T', ' ').slice(0, 19),
    text(e['principal']) || '-',
    text(e['server']) || '-',
    text(e['target']) || text(e['method']) || '-',
    text(e['decision']),
    text(e['reason']) || eventOf(e['event']),
  ]);
};

/** Prints entries in the chosen format; the table's header once, before the first entry. */
export const printer = (format: ViewFormat, write: (line: string) => void) => {
  let header = format === 'table';
  return (entries: readonly StoredEntry[]): void => {
    if (header) write(tableHeader());
    header = false;
    for (const e of entries) write(format === 'json' ? e.body : tableRow(e.body));
  };
};

/** How often `--follow` looks for new entries. */
export const FOLLOW_INTERVAL_MS = 500;

/**
 * `--follow`: prints the entries after `last` as they arrive, until the process is stopped.
 * `newer(seq)` returns the stored entries with a sequence number above `seq`, oldest first.
 */
export const follow = async (
  newer: (seq: number) => Promise<readonly StoredEntry[]>,
  last: number,
  print: (entries: readonly StoredEntry[]) => void,
): Promise<never> => {
  for (let seq = last; ;) {
    await sleep(FOLLOW_INTERVAL_MS);
    const entries = await newer(seq);
    if (entries.length === 0) continue;
    print(entries);
    seq = entries.at(-1)?.seq ?? seq;
  }
};
