/**
 * The secret values the content scanner must catch, as they become known. Configured `content.secrets.env`
 * values are there from the start; each server's own credentials (`secrets`, `secretHeaders`) are added
 * when its upstream resolves them, at every (re)start, so a rotated value is caught too. The values
 * never leave the process: only their presence (a rule id) is ever reported.
 */
export interface SecretSource {
  /** Changes whenever the set of values does, so scanners can cache what they derive from it. */
  readonly version: number;
  values(): readonly string[];
}

export class SecretRegistry implements SecretSource {
  private readonly byOwner = new Map<string, readonly string[]>();
  private cached: readonly string[] | undefined;
  version = 0;

  /**
   * Adds the values `owner` (`config`, or a server id) holds now. Values of earlier starts are kept:
   * a credential that was rotated away may still sit in a server's memory or output.
   */
  add(owner: string, values: readonly string[]): void {
    const before = this.byOwner.get(owner) ?? [];
    const next = [...new Set([...before, ...values.filter((v) => v.length > 0)])];
    if (next.length === before.length) return;
    this.byOwner.set(owner, next);
    this.cached = undefined;
    this.version++;
  }

  values(): readonly string[] {
    this.cached ??= [...new Set([...this.byOwner.values()].flat())];
    return this.cached;
  }
}
