import type { CheckResult, Verdict } from './types.js';

export type CheckSummary = Readonly<Record<Verdict, number>>;

export const summarize = (results: readonly CheckResult[]): CheckSummary => ({
  pass: results.filter((r) => r.verdict === 'pass').length,
  warn: results.filter((r) => r.verdict === 'warn').length,
  fail: results.filter((r) => r.verdict === 'fail').length,
});

const LABEL = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' } as const satisfies Record<
  Verdict,
  string
>;

/** The readable report: one block per item, its evidence, and its fix when it is not a pass. */
export const toTable = (results: readonly CheckResult[]): string => {
  const width = Math.max(...results.map((r) => r.title.length));
  const lines = results.flatMap((r, i) => [
    `${String(i + 1).padStart(2)}. ${r.title.padEnd(width)}  ${LABEL[r.verdict]}`,
    ...r.evidence.map((e) => `      - ${e}`),
    ...(r.fix === undefined
      ? []
      : r.fix.split('\n').map((f, j) => `      ${j === 0 ? 'fix:' : '    '} ${f}`)),
  ]);
  const { pass, warn, fail } = summarize(results);
  return [...lines, '', `${pass} pass, ${warn} warn, ${fail} fail`].join('\n');
};

/** The machine-readable report (stable field names: CI parses it). */
export const toJson = (results: readonly CheckResult[], config: string): string =>
  JSON.stringify({ config, summary: summarize(results), items: results }, null, 2);
