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

/**
 * The machine-readable report (stable field names: CI parses it). `generatedAt` and `configSha256`
 * (the config file's digest) let `toolgate check` tell a current report from a stale one.
 */
export const toJson = (
  report: RedteamReport,
  config: { path: string; sha256: string },
  generatedAt: Date,
): string =>
  JSON.stringify(
    {
      config: config.path,
      configSha256: config.sha256,
      generatedAt: generatedAt.toISOString(),
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
