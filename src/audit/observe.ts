import type { AuditEntry } from './event.js';

/**
 * Who is told of every entry an audit log of this process has stored (the operations endpoints:
 * audit lag, audit readiness). Process-wide on purpose, like the group commit (`group-commit.ts`):
 * a front need not know which log recorded what. A listener must not throw; one that does is ignored.
 */
const listeners = new Set<(entry: AuditEntry) => void>();

/** Adds a listener of stored entries; returns its removal. */
export const onAuditEntry = (listener: (entry: AuditEntry) => void): (() => void) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};

/** Tells every listener of one stored entry (the logs' `onEntry`). */
export const tellAuditEntry = (entry: AuditEntry): void => {
  for (const listener of listeners)
    try {
      listener(entry);
    } catch {
      // a listener's failure is its own
    }
};
