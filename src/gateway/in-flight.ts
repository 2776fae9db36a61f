import { UpstreamError } from '../errors.js';

/**
 * The calls in flight, and the drain at shutdown: once it starts, new calls (and reloads) are
 * refused with UPSTREAM_UNAVAILABLE, and it resolves when the last call in flight ends.
 */
export class InFlight {
  private closing = false;
  private calls = 0;
  private drained: (() => void) | undefined;

  /** Throws UPSTREAM_UNAVAILABLE once the drain has started. */
  assertOpen(): void {
    if (this.closing)
      throw new UpstreamError('UPSTREAM_UNAVAILABLE', 'the gateway is shutting down');
  }

  /** Counts a call in; `exit` counts it out. */
  enter(): void {
    this.calls++;
  }

  exit(): void {
    if (--this.calls === 0) this.drained?.();
  }

  /** Stops taking calls and waits for those in flight to end, at most `graceMs`: true when none is left. */
  async drain(graceMs: number): Promise<boolean> {
    this.closing = true;
    if (this.calls === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      new Promise<boolean>((resolve) => (this.drained = () => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    return done;
  }
}
