/** One way to call the echo tool once; resolves when the result is back. */
export type Call = () => Promise<unknown>;

export interface LatencyStats {
  readonly calls: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly meanUs: number;
}

export interface ThroughputStats {
  readonly calls: number;
  readonly errors: number;
  readonly seconds: number;
  readonly callsPerSecond: number;
}

const nowNs = (): bigint => process.hrtime.bigint();

/** Nearest-rank percentile of sorted samples. */
export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ??
  Number.NaN;

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
};

/** Latency at concurrency 1: `warmup` unmeasured calls, then `calls` timed one after another. */
export const measureLatency = async (
  call: Call,
  calls: number,
  warmup: number,
): Promise<LatencyStats> => {
  for (let i = 0; i < warmup; i++) await call();
  const samples = new Array<number>(calls);
  for (let i = 0; i < calls; i++) {
    const start = nowNs();
    await call();
    samples[i] = Number(nowNs() - start) / 1000;
  }
  samples.sort((a, b) => a - b);
  return {
    calls,
    p50Us: percentile(samples, 50),
    p99Us: percentile(samples, 99),
    meanUs: samples.reduce((a, b) => a + b, 0) / calls,
  };
};

/**
 * Throughput at a fixed concurrency: `concurrency` workers call back to back until `seconds` have
 * passed or `maxCalls` have started, whichever comes first (load is bounded in time and count).
 */
export const measureThroughput = async (
  call: Call,
  concurrency: number,
  seconds: number,
  maxCalls: number,
): Promise<ThroughputStats> => {
  const deadline = nowNs() + BigInt(Math.round(seconds * 1e9));
  let started = 0;
  let done = 0;
  let errors = 0;
  const begin = nowNs();
  const worker = async (): Promise<void> => {
    while (started < maxCalls && nowNs() < deadline) {
      started++;
      try {
        await call();
        done++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = Number(nowNs() - begin) / 1e9;
  return { calls: done, errors, seconds: elapsed, callsPerSecond: done / elapsed };
};
