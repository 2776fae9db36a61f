/**
 * The one way out of the gateway (AUD-1, AUD-2). The audit log keeps the lines a turn of the event
 * loop appends and writes them with one `write(2)` (group commit); what keeps its promise is one rule:
 * nothing leaves the process before every line appended before it is written. Every way out holds an
 * `Outbound`, which it receives when it is built and cannot be built without: the line transport
 * (stdio front, stdio upstreams), the HTTP front and HTTP upstreams (`transport/outbound.ts` wraps
 * their `send`), and the egress proxy before each connection it opens. The composition root
 * (`gateway/create-gateway.ts`) makes the one instance.
 */
export interface Outbound {
  /**
   * Writes the audit log's pending lines. Returns the failure (`AUDIT_APPEND_FAILED`), in which case
   * the caller sends nothing it was handed as it was, or undefined once everything appended so far is
   * in the OS.
   */
  commit(): Error | undefined;
}
