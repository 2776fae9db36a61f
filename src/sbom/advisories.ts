/** `toolgate deps`: the SBOM's packages against advisories (OSV files, the npm registry). */
import type { SbomServer } from './build.js';
import type { Classified } from '../packages/advisory-policy.js';
import type { SEVERITY_ORDER } from '../packages/osv.js';
import { type AdvisoryFinding } from '../packages/osv.js';

export type Finding = AdvisoryFinding;

/** Every name → versions of the npm servers' packages (their own and every dependency found). */
export const packagesOf = (servers: readonly SbomServer[]): Map<string, string[]> => {
  const out = new Map<string, Set<string>>();
  for (const server of servers)
    if (server.kind === 'npm')
      for (const p of [server, ...(server.tree?.packages.values() ?? [])])
        out.set(p.name, (out.get(p.name) ?? new Set()).add(p.version));
  return new Map([...out].map(([name, versions]) => [name, [...versions].sort()]));
};

export type FailOn = (typeof SEVERITY_ORDER)[number];

export const toTable = (
  servers: readonly SbomServer[],
  classified: readonly Classified[],
  sources: readonly string[],
): string => {
  const lines = [`checked ${servers.length} server(s) against ${sources.join(' and ')}`];
  for (const { finding: f, status, waiver } of classified)
    lines.push(
      `${f.severity.toUpperCase().padEnd(8)} ${f.server.padEnd(16)} ${`${f.package}@${f.version}`.padEnd(32)} ${f.id}${f.summary ? `  ${f.summary}` : ''}${f.fixed.length > 0 ? `  (fixed in ${f.fixed.join(', ')})` : ''}` +
        (status === 'waived'
          ? `  WAIVED until ${waiver?.expires}: ${waiver?.reason}`
          : status === 'expired'
            ? `  waiver EXPIRED on ${waiver?.expires}`
            : ''),
    );
  for (const s of servers)
    if (!classified.some((c) => c.finding.server === s.id))
      lines.push(
        `ok       ${s.id}: no advisory${s.kind === 'npm' && s.tree === undefined ? ' (its own package only: dependencies unknown)' : ''}`,
      );
  return lines.join('\n') + '\n';
};
