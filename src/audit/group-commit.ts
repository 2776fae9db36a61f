/**
 * Group commit for the audit log (AUD-1, AUD-2).
 *
 * The JSONL store does not write each entry the moment it is appended: it keeps the lines one turn of
 * the event loop appends and writes them with one `write(2)` (under load, a turn appends a dozen).
 * What keeps the log's promise is one rule: **nothing leaves the process before every line appended
 * before it is written.** So each way out of the gateway calls `writePending()` first and sends nothing
 * it was handed if that fails: the line transport (stdio front and stdio upstreams), the HTTP front
 * and upstreams, the egress proxy, the witness copies. A message's entry is appended before the
 * message is handed to its way out, so when the message leaves, its entry is in the OS.
 *
 * The registry is process-wide on purpose: a transport writes whatever every open log has pending, so
 * no way out needs to know which log recorded what it carries.
 */
const pendingWriters = new Set<() => void>();

/** Registers a log's writer of pending lines (it throws when they cannot be written); returns its removal. */
export const registerPendingWriter = (write: () => void): (() => void) => {
  pendingWriters.add(write);
  return () => pendingWriters.delete(write);
};

/**
 * Writes every log's pending lines; returns the first failure (an `AUDIT_APPEND_FAILED` error), or
 * undefined when everything appended so far is in the OS. Lines that could not be written stay
 * pending, and every later call fails again until they are written.
 */
export const writePending = (): Error | undefined => {
  for (const write of pendingWriters)
    try {
      write();
    } catch (error) {
      return error as Error;
    }
  return undefined;
};
