import type { LatencyStats, ThroughputStats } from './measure.js';
import type { Scenario } from './clients.js';

export type Outcome =
  | {
      kind: 'measured';
      scenario: Scenario;
      /** Sequential calls in the steady state (after the cold phase and the settle calls, back to back). */
      latency: LatencyStats;
      /** The first sequential calls of a fresh process (after `warmup`), while the JIT still compiles. */
      cold?: LatencyStats;
      throughput: ThroughputStats;
      /** RSS of the weighed process in kB: after connect, after load, and its high-water mark. */
      rss: { idleKb: number; loadedKb: number; hwmKb: number } | undefined;
      /** CPU time of the weighed process per call, in µs: at concurrency 1 and at full concurrency. */
      cpu?:
        | {
            serialUs: number;
            concurrentUs: number;
            coldSerialUs?: number;
            /** The bench client's own CPU per call at full concurrency, and the stdio upstream's behind a gateway. */
            clientConcurrentUs?: number;
            upstreamConcurrentUs?: number;
          }
        | undefined;
      /**
       * Share of the machine's CPU time the hypervisor took away (/proc/stat steal), in %, during the
       * steady-state latency phase and the throughput run: on a VM, the host's own load.
       */
      steal?: { serialPct: number; concurrentPct: number } | undefined;
      /** How many rounds were combined (medians), when more than one ran. */
      rounds?: number;
    }
  | { kind: 'failed'; scenario: Scenario; reason: string };

export interface RunInfo {
  readonly command: string;
  readonly date: string;
  readonly node: string;
  readonly cores: number;
  readonly cpu: string;
  readonly calls: number;
  readonly warmup: number;
  /** Sequential calls between the cold phase and the steady-state measurements. */
  readonly settle: number;
  readonly concurrency: number;
  readonly seconds: number;
  readonly maxCalls: number;
  readonly rounds: number;
  /** The HTTP scenarios' load generator: the lean raw-HTTP client or the official SDK client. */
  readonly httpClient: 'lean' | 'sdk';
  /** 1-minute load average before the first round and after each. */
  readonly load: readonly number[];
}

/** The targets every toolgate scenario is held to, against its direct baseline of the same run. */
const TARGETS = { addedP50Us: 150, addedP99Us: 1000, throughputPct: 50 } as const;

const us = (n: number) => `${Math.round(n)}`;
const mb = (kb: number) => (kb / 1024).toFixed(1);
const signed = (n: number) => `${n >= 0 ? '+' : ''}${Math.round(n)}`;

const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');

/** The results as markdown: machine, command, then the figures, the ratios against direct, and the cold start. */
export const toMarkdown = (info: RunInfo, outcomes: readonly Outcome[]): string =>
  [
    ...headerLines(info),
    ...figureLines(info, outcomes),
    ...comparisonLines(outcomes),
    ...frontLines(outcomes),
    ...coldLines(info, outcomes),
  ].join('\n');

const headerLines = (info: RunInfo): string[] => [
  `Measured ${info.date} on Node ${info.node}, ${info.cores} cores (${info.cpu}), loopback only.`,
  `Client, gateway or proxy, and echo server all share those cores; 1-min load average before and after each round: ${info.load.map((l) => l.toFixed(1)).join(' → ')}.`,
  `Each figure is the median over ${info.rounds} round(s); a round runs every scenario once, each in fresh processes, in an order`,
  'that rotates from round to round, so a burst of outside load does not always fall on the same scenario.',
  '',
  'Reproduce with:',
  '',
  '```sh',
  info.command,
  '```',
  '',
  `Latency (steady state): ${info.calls} sequential \`tools/call\` (concurrency 1) after ${info.warmup + info.calls + info.settle} calls (the cold phase below, then ${info.settle} more,`,
  'until V8 has compiled what the calls run), back to back.',
  `Throughput: concurrency ${info.concurrency} from one client, for ${info.seconds} s or ${info.maxCalls} calls, after a 1 s warm-up.`,
  info.httpClient === 'lean'
    ? 'HTTP client: `bench/lean-client.ts` (raw node:http, keep-alive, pre-serialized requests, each answer checked to echo its request), the same for every HTTP scenario.'
    : 'HTTP client: the official MCP SDK client (Streamable HTTP over fetch), the same for every HTTP scenario.',
  'RSS: VmRSS of the weighed process (the gateway or proxy alone, without its echo child; the echo server itself when direct),',
  'after the steady-state latency phase and after the throughput run (medians), with VmHWM as the peak (max over rounds).',
  'CPU/call: user + system CPU time of the weighed process, all its threads (/proc/<pid>/stat), divided by the calls of the phase;',
  'outside load inflates it too (cache and scheduler contention), but less than wall-clock figures.',
  "Steal: the share of the machine's CPU time (all cores, /proc/stat) that the hypervisor gave to something else while this VM",
  'had work to run, during the steady-state latency phase and the throughput run. It comes in bursts, and calls in a burst wait:',
  'compare p99 figures only between scenarios with similar steal (medians over the rounds, as every figure here; see *Reading the figures*).',
  '',
];

const figureLines = (info: RunInfo, outcomes: readonly Outcome[]): string[] => {
  const at = info.concurrency;
  const lines = [
    `| Scenario | p50 µs | p99 µs | calls/s @${at} | CPU µs/call @1 / @${at} | steal % @1 / @${at} | RSS MB idle / loaded / peak |`,
    '|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const o of outcomes) {
    if (o.kind === 'failed') {
      lines.push(
        `| ${o.scenario.label} | — | — | — | — | — | not measured: ${o.reason.split('\n')[0]} |`,
      );
      continue;
    }
    const rss = o.rss ? `${mb(o.rss.idleKb)} / ${mb(o.rss.loadedKb)} / ${mb(o.rss.hwmKb)}` : 'n/a';
    const errors = o.throughput.errors > 0 ? ` (${o.throughput.errors} errors)` : '';
    const cpu = o.cpu ? `${us(o.cpu.serialUs)} / ${us(o.cpu.concurrentUs)}` : 'n/a';
    const steal = o.steal
      ? `${o.steal.serialPct.toFixed(1)} / ${o.steal.concurrentPct.toFixed(1)}`
      : 'n/a';
    const partial =
      o.rounds !== undefined && o.rounds < info.rounds
        ? ` (${o.rounds}/${info.rounds} rounds)`
        : '';
    lines.push(
      `| ${o.scenario.label} | ${us(o.latency.p50Us)} | ${us(o.latency.p99Us)} | ${Math.round(o.throughput.callsPerSecond)}${errors} | ${cpu} | ${steal} | ${rss}${partial} |`,
    );
  }
  return lines;
};

/** Each scenario against its direct baseline of the same run: ratios, the added µs, and the targets. */
const comparisonLines = (outcomes: readonly Outcome[]): string[] => {
  const byId = new Map(outcomes.map((o) => [o.scenario.id, o]));
  const lines = [
    '',
    `Steady state against the direct baseline of the same run (targets: added p50 ≤ ${TARGETS.addedP50Us} µs, added p99 ≤ ${TARGETS.addedP99Us} µs, throughput ≥ ${TARGETS.throughputPct}% of direct):`,
    '',
    '| Scenario | vs | p50 × direct | CPU/call @1 × direct | throughput % of direct | added p50 µs | added p99 µs | p50 | p99 | throughput |',
    '|---|---|---:|---:|---:|---:|---:|---|---|---|',
  ];
  for (const o of outcomes) {
    const base = o.scenario.baseline === undefined ? undefined : byId.get(o.scenario.baseline);
    if (o.kind !== 'measured' || base?.kind !== 'measured') continue;
    const addedP50 = o.latency.p50Us - base.latency.p50Us;
    const addedP99 = o.latency.p99Us - base.latency.p99Us;
    const pct = (o.throughput.callsPerSecond / base.throughput.callsPerSecond) * 100;
    const cpuRatio =
      o.cpu && base.cpu ? `${(o.cpu.serialUs / base.cpu.serialUs).toFixed(2)}×` : 'n/a';
    lines.push(
      `| ${o.scenario.label} | ${base.scenario.id} | ${(o.latency.p50Us / base.latency.p50Us).toFixed(2)}× | ${cpuRatio} | ${pct.toFixed(0)}% | ${signed(addedP50)} | ${signed(addedP99)} | ` +
        `${verdict(addedP50 <= TARGETS.addedP50Us)} | ${verdict(addedP99 <= TARGETS.addedP99Us)} | ${verdict(pct >= TARGETS.throughputPct)} |`,
    );
  }
  return lines;
};

/** Issue #23's targets for the HTTP front, in the same run: `toolgate serve` (stdio echo) against `mcp-proxy`. */
const FRONT = { p50Us: 1500, timesProxy: 3, proxy: 'http-mcp-proxy-stdio' } as const;
const FRONT_IDS = ['http-toolgate-stdio', 'http-toolgate-stdio-2026'];

/** CPU µs per call at full concurrency of the front (gateway or proxy), its stdio echo and the bench client. */
const cpuParts = (o: Outcome & { kind: 'measured' }) => ({
  front: o.cpu?.concurrentUs ?? Number.NaN,
  echo: o.cpu?.upstreamConcurrentUs ?? Number.NaN,
  client: o.cpu?.clientConcurrentUs ?? Number.NaN,
});

/**
 * Issue #23's verdicts, and what the CPU figures say of the throughput ratio: when the cores are the
 * limit, calls/s go as 1 / (CPU per call of every process a call runs through); so the ratio a front
 * costing nothing could reach is mcp-proxy's whole sum over the client's and echo's alone.
 */
const frontLines = (outcomes: readonly Outcome[]): string[] => {
  const proxy = outcomes.find((o) => o.scenario.id === FRONT.proxy);
  const fronts = outcomes.filter((o) => FRONT_IDS.includes(o.scenario.id));
  if (proxy?.kind !== 'measured' || fronts.length === 0) return [];
  const p = cpuParts(proxy);
  const lines = [
    '',
    `HTTP front against \`mcp-proxy\` in the same run (issue #23 targets: p50 ≤ ${FRONT.p50Us} µs, throughput ≥ ${FRONT.timesProxy}× \`mcp-proxy\`'s at the same concurrency):`,
    '',
    '| Scenario | p50 µs | calls/s | throughput × mcp-proxy | CPU µs/call, front / echo / bench client | CPU-bound × mcp-proxy | with a free front | p50 | throughput |',
    '|---|---:|---:|---:|---:|---:|---:|---|---|',
    `| ${proxy.scenario.label} | ${us(proxy.latency.p50Us)} | ${Math.round(proxy.throughput.callsPerSecond)} | 1.00× | ${us(p.front)} / ${us(p.echo)} / ${us(p.client)} | 1.00× | — | — | — |`,
  ];
  for (const o of fronts) {
    if (o.kind !== 'measured') continue;
    const times = o.throughput.callsPerSecond / proxy.throughput.callsPerSecond;
    const g = cpuParts(o);
    const whole = p.front + p.echo + p.client;
    lines.push(
      `| ${o.scenario.label} | ${us(o.latency.p50Us)} | ${Math.round(o.throughput.callsPerSecond)} | ${times.toFixed(2)}× | ${us(g.front)} / ${us(g.echo)} / ${us(g.client)} | ` +
        `${(whole / (g.front + g.echo + g.client)).toFixed(2)}× | ${(whole / (g.echo + g.client)).toFixed(2)}× | ` +
        `${verdict(o.latency.p50Us <= FRONT.p50Us)} | ${verdict(times >= FRONT.timesProxy)} |`,
    );
  }
  return lines;
};

const coldLines = (info: RunInfo, outcomes: readonly Outcome[]): string[] => {
  const byId = new Map(outcomes.map((o) => [o.scenario.id, o]));
  const lines = [
    '',
    `Cold start: the first ${info.calls} sequential calls of each fresh process, after ${info.warmup} warm-up calls. V8 is still compiling the hot`,
    'code then, on background threads that take CPU from the same two cores. A gateway pays this after each start; after a pause,',
    'every process here also runs slower for a few hundred calls (see *Reading the figures*).',
    '',
    '| Scenario | p50 µs | p99 µs | CPU µs/call @1 | p50 × its baseline |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const o of outcomes) {
    if (o.kind !== 'measured' || !o.cold) continue;
    const base = o.scenario.baseline === undefined ? undefined : byId.get(o.scenario.baseline);
    const ratio =
      base?.kind === 'measured' && base.cold
        ? `${(o.cold.p50Us / base.cold.p50Us).toFixed(2)}×`
        : '—';
    const cpu = o.cpu?.coldSerialUs !== undefined ? us(o.cpu.coldSerialUs) : 'n/a';
    lines.push(
      `| ${o.scenario.label} | ${us(o.cold.p50Us)} | ${us(o.cold.p99Us)} | ${cpu} | ${ratio} |`,
    );
  }
  return lines;
};
