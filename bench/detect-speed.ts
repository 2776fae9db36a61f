import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { payloadItem } from '../src/detect/collect.js';
import type { Engine } from '../src/detect/engine.js';
import type { Item } from '../src/detect/types.js';

const npmPath = 'benign-npm-mcp-tools/benign_tools_list.json';
const WARM_UP_MS = 1500;
const WINDOWS = 5;
/** Milliseconds of this process's CPU time since `from`. */
const cpuSince = (from: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1000;
};
/**
 * Warms `run` up (at least 3 calls and `WARM_UP_MS` of CPU, so that one-off costs are paid before the
 * clock starts), then times `WINDOWS` windows of `runs` calls each and keeps the median window (by CPU
 * time), per call: one window can fall in a burst of outside load or in a phase of the heap growing;
 * the median of five is the steady rate.
 */
const medianWindow = (run: () => void, runs: number): { cpu: number; wall: number } => {
  const w0 = process.cpuUsage();
  for (let i = 0; i < 3 || cpuSince(w0) < WARM_UP_MS; i++) run();
  const windows: { cpu: number; wall: number }[] = [];
  for (let w = 0; w < WINDOWS; w++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) run();
    windows.push({
      wall: Number(process.hrtime.bigint() - t0) / 1e6 / runs,
      cpu: cpuSince(c0) / runs,
    });
  }
  return windows.sort((a, b) => a.cpu - b.cpu)[WINDOWS >> 1] as { cpu: number; wall: number };
};
// Text above U+00FF, generated here (a fixed pseudo-random sequence, no dataset): every such character is
// written to the scan text as a placeholder, and fullwidth punctuation makes NFKC folding run.
const generated = (piece: (next: () => number) => string): string => {
  let seed = 1;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const parts: string[] = [];
  for (let n = 0; n < 1 << 20;) {
    const p = piece(next);
    parts.push(p);
    n += p.length;
  }
  return parts.join('');
};

const dojo = (data: string) => join(data, 'agentdojo');
const json = (data: string, path: string): unknown =>
  JSON.parse(readFileSync(join(data, path), 'utf8'));

/** Benign text (the npm tool lists and AgentDojo environments) cut to any size. */
const corpusOf = (data: string): ((bytes: number) => string) => {
  const parts: string[] = [];
  if (existsSync(join(data, npmPath))) parts.push(JSON.stringify(json(data, npmPath)));
  if (existsSync(dojo(data)))
    for (const s of readdirSync(join(dojo(data), 'data/suites')))
      parts.push(readFileSync(join(dojo(data), 'data/suites', s, 'environment.yaml'), 'utf8'));
  const corpus = parts.join('\n') || 'The quick brown fox jumps over the lazy dog. '.repeat(1000);
  return (bytes: number) => {
    let s = corpus;
    while (s.length < bytes) s += '\n' + corpus;
    return s.slice(0, bytes);
  };
};

/** Benign text of growing size through the engine, one core: a table row per size, and CPU time per byte. */
const bySize = (engine: Engine, sized: (bytes: number) => string) => {
  const speed: string[] = [];
  const perByte: number[] = [];
  for (const kb of [16, 64, 256, 1024, 4096]) {
    const text = sized(kb * 1024);
    const item: Item = payloadItem('output', { content: [{ type: 'text', text }] });
    const runs = Math.max(5, Math.ceil(32_768 / kb));
    // The warm-up pays the one-off costs (the optimising compiler's work on the scan loop, 0.1 s on
    // another thread but counted in this process's CPU time, and the first second in which the memory of
    // each scan text is mapped afresh, about half the steady speed at 256 KiB): what is timed is the
    // steady state of a long-running gateway.
    // CPU time of this process (one core), and wall time: on a shared machine wall time includes waiting.
    const { cpu, wall } = medianWindow(() => engine.scan(item), runs);
    perByte.push(cpu / kb);
    speed.push(
      `| ${kb} KiB | ${cpu.toFixed(2)} ms | ${(kb / 1024 / (cpu / 1000)).toFixed(1)} MB/s | ${wall.toFixed(2)} ms | ${(kb / 1024 / (wall / 1000)).toFixed(1)} MB/s |`,
    );
  }

  return { speed, perByte };
};

/** Kinds of text at 1 MiB each: JSON (camelCase keys to split), YAML prose, and generated non-ASCII. */
const textKinds = (data: string): [string, string][] => {
  const d = dojo(data);
  const byKind: [string, string][] = [];
  if (existsSync(join(data, npmPath)))
    byKind.push(['JSON (npm tool lists)', JSON.stringify(json(data, npmPath), null, 1)]);
  if (existsSync(d))
    byKind.push([
      'YAML prose (AgentDojo environments)',
      readdirSync(join(d, 'data/suites'))
        .map((s) => readFileSync(join(d, 'data/suites', s, 'environment.yaml'), 'utf8'))
        .join('\n'),
    ]);
  byKind.push([
    'CJK (generated: ideographs, fullwidth punctuation)',
    generated(
      (next) =>
        Array.from({ length: 12 }, () =>
          String.fromCharCode(0x4e00 + Math.floor(next() * 0x5000)),
        ).join('') +
        (next() < 0.5 ? '，' : '。') +
        (next() < 0.05 ? '\n' : ''),
    ),
  ]);
  byKind.push([
    'Emoji and ASCII words (generated)',
    generated(
      (next) =>
        `word${Math.floor(next() * 100)} ${String.fromCodePoint(0x1f600 + Math.floor(next() * 64))} `,
    ),
  ]);
  return byKind;
};

const byKindRows = (engine: Engine, byKind: [string, string][]): string[] => {
  const kinds: string[] = [];
  for (const [name, source] of byKind) {
    let text = source;
    while (text.length < 1 << 20) text += '\n' + source;
    const sliced = text.slice(0, 1 << 20);
    const item: Item = payloadItem('output', { content: [{ type: 'text', text: sliced }] });
    const { cpu } = medianWindow(() => engine.scan(item), 10);
    const utf8 = Buffer.byteLength(sliced) / (1 << 20);
    kinds.push(
      `| ${name} | ${utf8.toFixed(2)} MiB | ${cpu.toFixed(2)} ms | ${(utf8 / (cpu / 1000)).toFixed(1)} MB/s | ${(1 / (cpu / 1000)).toFixed(1)} M/s |`,
    );
  }

  return kinds;
};

/** A yardstick for this machine: one plain loop reading every character of 1 MiB (no detection at all). */
const yardstickOf = (sized: (bytes: number) => string): number => {
  const text = sized(1 << 20);
  let sum = 0;
  const c0 = process.cpuUsage();
  for (let r = 0; r < 20; r++)
    for (let i = 0; i < text.length; i++) sum = (sum + text.charCodeAt(i)) | 0;
  const c = process.cpuUsage(c0);
  if (sum === 42) console.log('');
  return (c.user + c.system) / 1000 / 20;
};

/** The throughput tables of `bench:detect` (CPU time, after a warm-up; median of five windows). */
export const throughput = (data: string, engine: Engine): string => {
  const sized = corpusOf(data);
  const { speed, perByte } = bySize(engine, sized);
  const kinds = byKindRows(engine, textKinds(data));
  const yardstick = yardstickOf(sized);
  const out: string[] = [];

  out.push(
    '\n| input | CPU time per scan | throughput (CPU) | wall time per scan | throughput (wall) |\n|---|---|---|---|---|\n' +
      speed.join('\n'),
  );
  out.push(
    '\n| text (1 Mi UTF-16 code units) | UTF-8 size | CPU time per scan | throughput (CPU, UTF-8) | code units per second |\n|---|---|---|---|---|\n' +
      kinds.join('\n'),
  );
  out.push(
    `\nYardstick: a plain loop reading each character of 1 MiB takes ${yardstick.toFixed(2)} ms of CPU here; a 1 MiB scan costs ${(((perByte[3] as number) * 1024) / yardstick).toFixed(1)}× that.`,
  );
  // Small inputs are timed too briefly to be steady: growth is read from 256 KiB up.
  out.push(
    `\nCPU time per byte, 4096 KiB vs 256 KiB: ${((perByte.at(-1) as number) / (perByte[2] as number)).toFixed(2)}× (1.00× = linear)`,
  );

  return out.join('\n');
};
