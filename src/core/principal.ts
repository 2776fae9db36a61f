/** Who an agent is, as far as the front transport can tell. */
export interface Principal {
  /** Stable id: `stdio` for the local client, or the HTTP session's caller identity. */
  readonly id: string;
  readonly transport: 'stdio' | 'http';
  /** Groups from the config (agents:) or the credential; what Cedar policies match with `principal in Group`. */
  readonly groups?: readonly string[];
  /** Self-reported by the client in initialize; informative only, never trusted for decisions. */
  readonly clientName?: string;
}
