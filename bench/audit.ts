import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compileAllowlist } from '../src/allowlist/compile.js';
import { enforceAllowlist } from '../src/allowlist/interceptor.js';
import { createAudit } from '../src/audit/setup.js';
import { parseConfig } from '../src/config/load.js';
import { compose, type Message, type Next } from '../src/pipeline/interceptor.js';

/**
 * `npm run bench:audit`: what the audit pair adds to one tools/call, in process, against the same
 * chain without it (allowlist only, an immediate terminal). Both durability modes, SQLite and JSONL.
 * Prints markdown; the figures are recorded by hand in docs/benchmarks.md (section "Audit cost").
 */
const { values } = parseArgs({ options: { calls: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '5' } } });
const calls = Number(values.calls);

const message: Message = {
  kind: 'request',
  direction: 'to-server',
  method: 'tools/call',
  params: { name: 'echo', arguments: { message: 'hello, audited world' } },
  server: 'echo',
  principal: { id: 'bench', transport: 'stdio' },
  signal: new AbortController().signal,
};
const terminal: Next = async () => ({ content: [{ type: 'text', text: 'hello, audited world' }] });

let lastCpuUs = 0;
const sample = async (send: Next): Promise<number[]> => {
  for (let i = 0; i < 2000; i++) await send(message); // warm-up
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    await send(message);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  const cpu = process.cpuUsage(cpu0);
  lastCpuUs = (cpu.user + cpu.system) / calls;
  return times.sort((a, b) => a - b);
};
const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

// The last mode stores nothing (JSONL lines into /dev/null): what the audit itself computes per call
// (canonical JSON, HMACs, tree head, call bookkeeping), apart from what the store adds.
const modes = [
  { store: 'sqlite', sync: 'normal' },
  { store: 'sqlite', sync: 'full' },
  { store: 'jsonl', sync: 'normal' },
  { store: 'jsonl', sync: 'normal', path: '/dev/null' },
] as const;

const loadBefore = loadavg()[0] ?? Number.NaN;
const rows: string[] = [];
for (const mode of modes) {
  const added50: number[] = [];
  const added99: number[] = [];
  const base50: number[] = [];
  const cpuAdded: number[] = [];
  for (let r = 0; r < Number(values.rounds); r++) {
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-bench-audit-'));
    const configPath = join(dir, 'toolgate.yaml');
    const config = parseConfig({ lock: { required: false }, servers: { echo: { command: 'true', tools: ['echo'] } }, audit: { ...mode, checkpoint: { everyEntries: 1000 } } });
    writeFileSync(configPath, JSON.stringify(config));
    const audit = createAudit(config, configPath, () => undefined);
    if (!audit) throw new Error('no audit');
    const allowlist = enforceAllowlist(compileAllowlist(config));
    const plain = await sample(compose([allowlist], terminal));
    const plainCpu = lastCpuUs;
    const audited = await sample(compose([audit.recordOutcome, allowlist, audit.recordForward], terminal));
    cpuAdded.push(lastCpuUs - plainCpu);
    await audit.close();
    base50.push(pct(plain, 0.5));
    added50.push(pct(audited, 0.5) - pct(plain, 0.5));
    added99.push(pct(audited, 0.99) - pct(plain, 0.99));
  }
  rows.push(`| ${'path' in mode ? `none (${mode.store} to ${mode.path})` : mode.store} | ${mode.sync} | ${median(base50).toFixed(1)} | ${median(added50).toFixed(1)} | ${median(added99).toFixed(1)} | ${median(cpuAdded).toFixed(1)} |`);
}

console.log(`Audit cost per tools/call, in process, Node ${process.version}: ${calls} sequential calls after 2000 warm-up, median of ${values.rounds} rounds.
Each call appends two entries (forward, result): canonical JSON, HMAC-SHA256 of arguments and result, tree head, store insert; a signed checkpoint every 1000 entries.

1-min load average at the start and the end: ${loadBefore.toFixed(1)} → ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores (wall-clock figures move with it; CPU time per call less so).

| store | sync | p50 without audit µs | p50 added µs | p99 added µs | CPU added µs/call |
|---|---|---:|---:|---:|---:|
${rows.join('\n')}`);
