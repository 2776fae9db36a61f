/** The delay before restart attempt `attempt` (from 1): doubling from `initialDelayMs`, at most `maxDelayMs`. */
export const backoffMs = (
  restart: { readonly initialDelayMs: number; readonly maxDelayMs: number },
  attempt: number,
): number => Math.min(restart.maxDelayMs, restart.initialDelayMs * 2 ** (attempt - 1));

/** Waits `ms`, or less when `signal` aborts (a stop cuts a restart's wait short). */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
