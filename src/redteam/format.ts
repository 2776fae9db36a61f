import type { RedteamReport } from './run.js';

const notBlocked = (report: RedteamReport) => report.results.filter((r) => !r.blocked).length;

/** The readable report: one line per attack, its verdict, and the evidence under it. */
export const toTable = (report: RedteamReport): string => {
  const width = Math.max(...report.results.map((r) => r.title.length));
  const lines = report.results.flatMap((r) => [
    `${r.title.padEnd(width)}  ${r.blocked ? 'blocked' : 'NOT BLOCKED'}`,
    `    ${r.id}: ${r.evidence}`,
  ]);
  const failed = notBlocked(report);
  return [
    'hostile servers configured like yours:',
    ...report.posture.map((p) => `    ${p}`),
    '',
    ...lines,
    '',
    `${report.results.length - failed} blocked, ${failed} NOT BLOCKED`,
  ].join('\n');
};

/** The machine-readable report (stable field names: CI parses it). */
export const toJson = (report: RedteamReport, config: string): string =>
  JSON.stringify(
    {
      config,
      posture: report.posture,
      summary: {
        blocked: report.results.length - notBlocked(report),
        notBlocked: notBlocked(report),
      },
      attacks: report.results,
    },
    null,
    2,
  );

export const anyNotBlocked = (report: RedteamReport): boolean => notBlocked(report) > 0;
