/** Why one server could not be locked: its stable code, the message, its stderr tail and the likely fixes. */
export interface LockFailure {
  readonly code: string;
  readonly message: string;
  readonly stderr: readonly string[];
  readonly hints: readonly string[];
}

export type ServerOutcome =
  | { readonly kind: 'locked'; readonly id: string; readonly counts: string }
  /** `kept`: the lock still holds this server's previous pins; otherwise it is absent from the lock. */
  | {
      readonly kind: 'failed';
      readonly id: string;
      readonly failure: LockFailure;
      readonly kept: boolean;
    };

export interface LockReport {
  readonly outcomes: readonly ServerOutcome[];
  /** In the previous lock, no longer configured, left out by a full lock. */
  readonly dropped: readonly string[];
  /** In the lock, no longer configured, kept by a partial lock. */
  readonly stale: readonly string[];
  /** Absent when nothing was written (no server locked). */
  readonly written?: { readonly path: string; readonly servers: number };
}

// untrusted: a server's stderr may carry terminal escapes; C0/C1 controls (tab aside) are shown as U+FFFD.
const printable = (line: string): string =>
  line.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, '\ufffd');

/** One failed server in detail: code and message, the tail of its stderr, the hints. */
export const formatFailure = (id: string, failure: LockFailure): string[] => {
  const [first, ...more] = failure.message.split('\n');
  const lines = [
    `${id}: ${failure.code}: ${printable(first ?? '')}`,
    ...more.map((line) => `  ${printable(line)}`),
  ];
  if (failure.stderr.length > 0) {
    lines.push(`  stderr (last ${failure.stderr.length} lines):`);
    for (const line of failure.stderr) lines.push(`    | ${printable(line)}`);
  }
  for (const hint of failure.hints) lines.push(`  hint: ${hint}`);
  return lines;
};

/**
 * `toolgate lock`'s result, one line per server, then the details of each failure, then what was
 * written. Lines carry no prefix; the caller prints them.
 */
export const formatLockReport = (report: LockReport): string[] => {
  const { outcomes } = report;
  const width = Math.max(
    0,
    ...outcomes.map((o) => o.id.length),
    ...report.dropped.map((id) => id.length),
    ...report.stale.map((id) => id.length),
  );
  const row = (id: string, status: string, text: string) =>
    `  ${id.padEnd(width)}  ${status.padEnd(7)}  ${text}`;
  const failures = outcomes.filter((o) => o.kind === 'failed');
  const lines = [`${outcomes.length - failures.length} of ${outcomes.length} servers locked:`];
  for (const o of outcomes) {
    if (o.kind === 'locked') lines.push(row(o.id, 'ok', o.counts));
    else
      lines.push(
        row(
          o.id,
          'FAILED',
          `${o.failure.code}; ${o.kept ? 'its previous pins are kept' : 'not in the lock: run and serve will not start it'}`,
        ),
      );
  }
  for (const id of report.dropped)
    lines.push(row(id, 'dropped', 'no longer in the config: removed from the lock'));
  for (const id of report.stale)
    lines.push(
      row(
        id,
        'stale',
        'no longer in the config, still in the lock (a full toolgate lock removes it)',
      ),
    );
  for (const o of failures) lines.push(...formatFailure(o.id, o.failure));
  lines.push(
    report.written
      ? `wrote ${report.written.path} (${report.written.servers} servers); review it, then commit it`
      : 'nothing written: no server was locked',
  );
  return lines;
};
