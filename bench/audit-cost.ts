import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileAllowlist } from '../src/allowlist/compile.js';
import { enforceAllowlist } from '../src/allowlist/interceptor.js';
import { createAudit } from '../src/audit/setup.js';
import { writePending } from '../src/audit/group-commit.js';
import { parseConfig } from '../src/config/load.js';
import { compose, type Message, type Next } from '../src/core/interceptor.js';
import { median, percentile } from './measure.js';

/** Issue #6's target: what the audit pair may add to one call, p50, with the default store. */
const AUDIT_TARGET_P50_US = 50;

const message: Message = {
  kind: 'request',
  direction: 'to-server',
  method: 'tools/call',
  params: { name: 'echo', arguments: { message: 'hello, audited world' } },
  server: 'echo',
  principal: { id: 'bench', transport: 'stdio' },
  signal: new AbortController().signal,
};
/** Ends the current task of the event loop, as waiting for a message from another process does. */
const nextTask = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The upstream, answering at once; as a transport does, the forward leaves only after the audit's
 * pending lines are written (the group commit, `src/audit/group-commit.ts`), and so does the answer
 * (`sample`). As in a gateway, the answer comes in a task of its own, and so does the next call: the
 * store's AUD-10 path lookup is made once per task.
 */
const terminal: Next = async () => {
  leave();
  await nextTask();
  return { content: [{ type: 'text', text: 'hello, audited world' }] };
};
const leave = () => {
  const error = writePending();
  if (error) throw error;
};

/** Sequential calls through `send` after a warm-up: sorted latencies (µs) and CPU µs per call. */
const sample = async (send: Next, calls: number): Promise<{ times: number[]; cpuUs: number }> => {
  for (let i = 0; i < 2000; i++) {
    await send(message);
    leave();
    await nextTask();
  }
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    await send(message);
    leave();
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
    await nextTask();
  }
  const cpu = process.cpuUsage(cpu0);
  return { times: times.sort((a, b) => a - b), cpuUs: (cpu.user + cpu.system) / calls };
};

// The last mode stores nothing (JSONL lines into /dev/null): what the audit itself computes per call
// (canonical JSON, HMACs, tree head, call bookkeeping), apart from what the store adds.
const MODES = [
  { store: 'jsonl', sync: 'normal' },
  { store: 'jsonl', sync: 'full' },
  { store: 'jsonl', sync: 'normal', path: '/dev/null' },
] as const;

interface AuditCostRow {
  readonly store: string;
  readonly sync: string;
  readonly baseP50Us: number;
  readonly addedP50Us: number;
  readonly addedP99Us: number;
  readonly cpuAddedUs: number;
  readonly lookupP50Us: number;
}

/** What one round measured for one mode, in its own process (`measureRound`). */
export interface RoundFigures {
  readonly baseP50Us: number;
  readonly addedP50Us: number;
  readonly addedP99Us: number;
  readonly cpuAddedUs: number;
  /** Two lookups of the log's path, as the store makes before the forward's and the answer's writes. */
  readonly lookupP50Us: number;
}

/**
 * Sorted µs of `calls` pairs of path lookups (the store's AUD-10 check, `store-jsonl.ts`): what the
 * check adds to a sequential call, which writes twice, each time in a task of its own.
 */
const samplePathLookups = (path: string, calls: number): number[] => {
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    statSync(path, { throwIfNoEntry: false });
    statSync(path, { throwIfNoEntry: false });
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return times.sort((a, b) => a - b);
};

/**
 * One round of one mode (`MODES[modeIndex]`), in this process: the same chain with and without the
 * audit pair (allowlist only, an immediate terminal), with the real store in a temp dir.
 */
export const measureRound = async (modeIndex: number, calls: number): Promise<RoundFigures> => {
  const mode = MODES[modeIndex];
  if (!mode) throw new RangeError(`no audit mode ${modeIndex}`);
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-bench-audit-'));
  try {
    const configPath = join(dir, 'toolgate.yaml');
    const config = parseConfig({
      lock: { required: false },
      servers: { echo: { command: 'true', tools: ['echo'] } },
      audit: { path: join(dir, 'audit.jsonl'), ...mode, checkpoint: { everyEntries: 1000 } },
    });
    writeFileSync(configPath, JSON.stringify(config));
    const audit = createAudit(config, configPath, () => undefined);
    if (!audit) throw new Error('no audit');
    const allowlist = enforceAllowlist(compileAllowlist(config));
    const plain = await sample(compose([allowlist], terminal), calls);
    const audited = await sample(
      compose([audit.recordOutcome, allowlist, audit.recordForward], terminal),
      calls,
    );
    const lookups = samplePathLookups('path' in mode ? mode.path : join(dir, 'audit.jsonl'), calls);
    await audit.close();
    return {
      baseP50Us: percentile(plain.times, 50),
      addedP50Us: percentile(audited.times, 50) - percentile(plain.times, 50),
      addedP99Us: percentile(audited.times, 99) - percentile(plain.times, 99),
      cpuAddedUs: audited.cpuUs - plain.cpuUs,
      lookupP50Us: percentile(lookups, 50),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/**
 * What the audit pair adds to one tools/call, in process: each mode's medians over `rounds`, each
 * round in a fresh process (`audit.js --round`), the modes interleaved. A process here settles in one
 * of two speeds that differ by up to 2× (benchmarks.md, *Reading the figures*), and every round of one
 * process would fall into the same one.
 */
const measureAuditCost = (calls: number, rounds: number): AuditCostRow[] => {
  const script = fileURLToPath(new URL('./audit.js', import.meta.url));
  const figures = MODES.map((): RoundFigures[] => []);
  for (let r = 0; r < rounds; r++)
    for (const [i, list] of figures.entries()) {
      const child = spawnSync(
        process.execPath,
        [script, '--round', String(i), '--calls', String(calls)],
        { encoding: 'utf8' },
      );
      if (child.status !== 0)
        throw new Error(
          `audit bench round failed (${child.status ?? child.signal}): ${child.stderr.trim()}`,
        );
      list.push(JSON.parse(child.stdout) as RoundFigures);
    }
  return MODES.map((mode, i) => {
    const list = figures[i] as RoundFigures[];
    const med = (pick: (f: RoundFigures) => number) => median(list.map(pick));
    return {
      store: 'path' in mode ? `none (${mode.store} to ${mode.path})` : mode.store,
      sync: mode.sync,
      baseP50Us: med((f) => f.baseP50Us),
      addedP50Us: med((f) => f.addedP50Us),
      addedP99Us: med((f) => f.addedP99Us),
      cpuAddedUs: med((f) => f.cpuAddedUs),
      lookupP50Us: med((f) => f.lookupP50Us),
    };
  });
};

/** The rows as markdown, with the machine's load around the run and the verdict on the default store. */
const auditCostMarkdown = (
  rows: readonly AuditCostRow[],
  calls: number,
  rounds: number,
  load: readonly [number, number],
): string => {
  const byDefault = rows.find((r) => r.store === 'jsonl' && r.sync === 'normal');
  return [
    `Audit cost per \`tools/call\`, in process (\`bench/audit-cost.ts\`), Node ${process.version}: ${calls} sequential calls after 2000 warm-up, median of ${rounds} rounds, each in a fresh process.`,
    'Each call appends two entries (forward, before forwarding; result, before answering): canonical JSON, HMAC-SHA256 of arguments and result, tree head, store append; a signed checkpoint every 1000 entries.',
    `Durability: \`sync: normal\` (the default) — an entry is written to the OS (the JSONL file, by the group commit, before the message leaves, as the harness does at the forward and at the answer) before the call goes on, so it survives SIGKILL, not power loss; \`sync: full\` adds an fdatasync per group commit.`,
    `1-min load average at the start and the end: ${load[0].toFixed(1)} → ${load[1].toFixed(1)} on ${cpus().length} cores.`,
    '',
    'Path lookups: two `stat`s of the log path per call, timed alone in the same process (the AUD-10 check before each of its two writes, included in p50 added).',
    '',
    '| store | sync | p50 without audit µs | p50 added µs | p99 added µs | CPU added µs/call | path lookups µs/call |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.store}${r === byDefault ? ' (default)' : ''} | ${r.sync} | ${r.baseP50Us.toFixed(1)} | ${r.addedP50Us.toFixed(1)} | ${r.addedP99Us.toFixed(1)} | ${r.cpuAddedUs.toFixed(1)} | ${r.lookupP50Us.toFixed(1)} |`,
    ),
    '',
    byDefault
      ? `Target (issue #6): the audit adds ≤ ${AUDIT_TARGET_P50_US} µs p50 with the default store: ${byDefault.addedP50Us <= AUDIT_TARGET_P50_US ? 'met' : '**missed**'} (${byDefault.addedP50Us.toFixed(1)} µs). Its two path lookups are ${((byDefault.lookupP50Us / byDefault.addedP50Us) * 100).toFixed(0)}% of that.`
      : '',
  ].join('\n');
};

/** Runs the measurement with the load average around it. */
export const auditCostSection = (calls: number, rounds: number): string => {
  const before = loadavg()[0] ?? Number.NaN;
  const rows = measureAuditCost(calls, rounds);
  return auditCostMarkdown(rows, calls, rounds, [before, loadavg()[0] ?? Number.NaN]);
};
