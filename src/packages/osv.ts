/**
 * Offline OSV advisories matched against installed npm packages. Pure: the OSV files are read and
 * parsed by the caller; each record is validated here, loosely (the OSV schema grows), and a record
 * that does not fit is refused, never half-read.
 */
import { z } from 'zod';
import type { InstalledTree } from './installed-tree.js';

export const SEVERITY_ORDER = ['low', 'medium', 'high', 'critical'] as const;
export type AdvisorySeverity = (typeof SEVERITY_ORDER)[number] | 'unknown';

const Event = z.looseObject({
  introduced: z.string().optional(),
  fixed: z.string().optional(),
  last_affected: z.string().optional(),
});
const Range = z.looseObject({ type: z.string(), events: z.array(Event) });
const Severity = z.looseObject({ severity: z.string().optional() });
const Affected = z.looseObject({
  package: z.looseObject({ ecosystem: z.string(), name: z.string() }).optional(),
  versions: z.array(z.string()).optional(),
  ranges: z.array(Range).optional(),
  ecosystem_specific: Severity.optional(),
  database_specific: Severity.optional(),
});
export const OsvRecordSchema = z.looseObject({
  id: z.string().min(1),
  summary: z.string().optional(),
  withdrawn: z.string().optional(),
  aliases: z.array(z.string()).optional(),
  affected: z.array(Affected).default([]),
  database_specific: Severity.optional(),
});
export type OsvRecord = z.infer<typeof OsvRecordSchema>;

export interface SemVer {
  nums: [number, number, number];
  pre: string[];
}
const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
export const parseSemver = (v: string): SemVer | undefined => {
  const m = SEMVER.exec(v.trim());
  return m
    ? { nums: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ? m[4].split('.') : [] }
    : undefined;
};

/** Semantic-version order (build metadata ignored; a pre-release sorts before its release). */
export const compareSemver = (a: SemVer, b: SemVer): number => {
  for (let i = 0; i < 3; i++)
    if (a.nums[i] !== b.nums[i]) return (a.nums[i] as number) - (b.nums[i] as number);
  if (a.pre.length === 0 || b.pre.length === 0) return b.pre.length - a.pre.length;
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    if (x === y) continue;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
};

/** Whether `version` falls in one OSV SEMVER/ECOSYSTEM range (the OSV spec's event walk; `introduced: "0"` is the start). */
const inRange = (version: SemVer, events: readonly z.infer<typeof Event>[]): boolean => {
  const keyed = events.flatMap((e) => {
    const [kind, raw] =
      e.introduced !== undefined
        ? (['introduced', e.introduced] as const)
        : e.fixed !== undefined
          ? (['fixed', e.fixed] as const)
          : e.last_affected !== undefined
            ? (['last_affected', e.last_affected] as const)
            : [];
    if (kind === undefined) return [];
    const at =
      raw === '0' ? { nums: [0, 0, 0] as [number, number, number], pre: ['0'] } : parseSemver(raw);
    return at ? [{ kind, at }] : [];
  });
  keyed.sort((a, b) => compareSemver(a.at, b.at));
  let affected = false;
  for (const e of keyed) {
    const cmp = compareSemver(version, e.at);
    if (e.kind === 'introduced' && cmp >= 0) affected = true;
    else if (e.kind === 'fixed' && cmp >= 0) affected = false;
    else if (e.kind === 'last_affected' && cmp > 0) affected = false;
  }
  return affected;
};

export const LABELS: Record<string, AdvisorySeverity> = {
  low: 'low',
  moderate: 'medium',
  medium: 'medium',
  high: 'high',
  critical: 'critical',
};

/** The advisory's severity label (GitHub's `database_specific.severity` and the like); `unknown` when none is given. */
const severityOf = (record: OsvRecord, affected?: z.infer<typeof Affected>): AdvisorySeverity => {
  for (const s of [
    affected?.ecosystem_specific?.severity,
    affected?.database_specific?.severity,
    record.database_specific?.severity,
  ])
    if (s !== undefined && LABELS[s.toLowerCase()] !== undefined)
      return LABELS[s.toLowerCase()] as AdvisorySeverity;
  return 'unknown';
};

export interface Match {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly summary: string;
  readonly severity: AdvisorySeverity;
  readonly fixed: readonly string[];
}

/** The advisories (not withdrawn) that name this npm package at this version, by explicit version or by range. */
export const matchPackage = (
  records: readonly OsvRecord[],
  name: string,
  version: string,
): Match[] => {
  const parsed = parseSemver(version);
  const matches: Match[] = [];
  for (const record of records) {
    if (record.withdrawn !== undefined) continue;
    for (const affected of record.affected) {
      if (affected.package?.ecosystem !== 'npm' || affected.package.name !== name) continue;
      const ranges = (affected.ranges ?? []).filter(
        (r) => r.type === 'SEMVER' || r.type === 'ECOSYSTEM',
      );
      const hit =
        (affected.versions ?? []).includes(version) ||
        (parsed !== undefined && ranges.some((r) => inRange(parsed, r.events)));
      if (!hit) continue;
      matches.push({
        id: record.id,
        aliases: record.aliases ?? [],
        summary: record.summary ?? '',
        severity: severityOf(record, affected),
        fixed: ranges.flatMap((r) =>
          r.events.flatMap((e) => (e.fixed !== undefined ? [e.fixed] : [])),
        ),
      });
      break;
    }
  }
  return matches;
};

/**
 * Whether a severity is at or above `--fail-on`. An advisory without a severity label counts as
 * high: an unrated advisory is not taken for a harmless one.
 */
export const failsAt = (
  severity: AdvisorySeverity,
  failOn: (typeof SEVERITY_ORDER)[number],
): boolean =>
  SEVERITY_ORDER.indexOf(severity === 'unknown' ? 'high' : severity) >=
  SEVERITY_ORDER.indexOf(failOn);

/** A server as scanned: its id, its own package, and its installed tree when known. */
export interface ScannedServer {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly tree?: InstalledTree | undefined;
}

/** One advisory found in a server's locked tree. */
export interface AdvisoryFinding extends Match {
  readonly server: string;
  readonly package: string;
  readonly version: string;
}

/** Each package of each server (its own and every dependency found), matched against the records. */
export const findAdvisories = (
  servers: readonly ScannedServer[],
  match: (name: string, version: string) => Match[],
): AdvisoryFinding[] => {
  const findings: AdvisoryFinding[] = [];
  for (const server of servers) {
    const packages = new Map<string, { name: string; version: string }>([
      [`${server.name}@${server.version}`, server],
    ]);
    for (const p of server.tree?.packages.values() ?? []) packages.set(`${p.name}@${p.version}`, p);
    for (const p of [...packages.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    ))
      for (const m of match(p.name, p.version))
        findings.push({ ...m, server: server.id, package: p.name, version: p.version });
  }
  const rank = (f: AdvisoryFinding) =>
    f.severity === 'unknown' ? 1.5 : SEVERITY_ORDER.indexOf(f.severity);
  return findings.sort(
    (a, b) => rank(b) - rank(a) || (a.server < b.server ? -1 : a.server > b.server ? 1 : 0),
  );
};
