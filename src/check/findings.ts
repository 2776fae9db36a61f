import type { CheckItemId, CheckResult, Verdict } from './types.js';

/** One fact behind a verdict; `fix` is what would lift it. */
export interface Finding {
  readonly verdict: Verdict;
  readonly text: string;
  readonly fix?: string;
}

const RANK = { pass: 0, warn: 1, fail: 2 } as const satisfies Record<Verdict, number>;
export const pass = (text: string): Finding => ({ verdict: 'pass', text });
export const warn = (text: string, fix: string): Finding => ({ verdict: 'warn', text, fix });
export const fail = (text: string, fix: string): Finding => ({ verdict: 'fail', text, fix });

/** The worst finding decides; the fixes shown are those of the findings at that level. */
export const toResult = (
  id: CheckItemId,
  title: string,
  findings: readonly Finding[],
): CheckResult => {
  const verdict = findings.reduce<Verdict>(
    (w, f) => (RANK[f.verdict] > RANK[w] ? f.verdict : w),
    'pass',
  );
  const fixes = [
    ...new Set(
      findings.filter((f) => f.verdict === verdict && f.fix !== undefined).map((f) => f.fix),
    ),
  ];
  return {
    id,
    title,
    verdict,
    evidence: findings.map((f) => f.text),
    ...(verdict !== 'pass' && fixes.length > 0 && { fix: fixes.join('\n') }),
  };
};
