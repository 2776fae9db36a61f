/**
 * Offline OSV advisories matched against installed npm packages. Pure: the OSV files are read and
 * parsed by the caller; each record is validated here, loosely (the OSV schema grows), and a record
 * that does not fit is refused, never half-read.
 */
import semver from 'semver';
import { z } from 'zod';
import type { InstalledTree } from './installed-tree.js';
import {
  compare as comparePep440,
  eq as samePep440,
  valid as validPep440,
} from '@renovatebot/pep440';
import { normalizePypiName } from './wheel-name.js';

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

/** How one ecosystem reads and orders its versions. */
interface VersionOrder<V> {
  readonly parse: (text: string) => V | undefined;
  readonly compare: (a: V, b: V) => number;
}
/** Semantic versions as npm orders them (build metadata ignored), by npm's own `semver`. */
const SEMVER_ORDER: VersionOrder<string> = {
  parse: (text) => semver.valid(text) ?? undefined,
  compare: (a, b) => semver.compare(a, b),
};
/** PEP 440 as pip orders it (epochs, pre-, post-, dev-releases, local labels), by Renovate's library. */
const PEP440_ORDER: VersionOrder<string> = {
  parse: (text) => validPep440(text) ?? undefined,
  compare: comparePep440,
};

/**
 * Whether `version` falls in one OSV range (the OSV spec's event walk). `introduced: "0"` is the
 * start of all versions; an event whose version the ecosystem cannot read is left out.
 */
const inRange = <V>(
  order: VersionOrder<V>,
  version: V,
  events: readonly z.infer<typeof Event>[],
): boolean => {
  type Keyed = { kind: 'introduced' | 'fixed' | 'last_affected'; at: V | 'zero' };
  const keyed = events.flatMap((e): Keyed[] => {
    const [kind, raw] =
      e.introduced !== undefined
        ? (['introduced', e.introduced] as const)
        : e.fixed !== undefined
          ? (['fixed', e.fixed] as const)
          : e.last_affected !== undefined
            ? (['last_affected', e.last_affected] as const)
            : [];
    if (kind === undefined) return [];
    if (raw === '0' && kind === 'introduced') return [{ kind, at: 'zero' }];
    const at = order.parse(raw);
    return at === undefined ? [] : [{ kind, at }];
  });
  // 'zero' precedes every version.
  const cmp = (a: V | 'zero', b: V | 'zero'): number =>
    a === 'zero' || b === 'zero' ? (a === b ? 0 : a === 'zero' ? -1 : 1) : order.compare(a, b);
  keyed.sort((a, b) => cmp(a.at, b.at));
  let affected = false;
  for (const e of keyed) {
    const c = cmp(version, e.at);
    if (e.kind === 'introduced' && c >= 0) affected = true;
    else if (e.kind === 'fixed' && c >= 0) affected = false;
    else if (e.kind === 'last_affected' && c > 0) affected = false;
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

/** The package ecosystems toolgate matches, spelled as OSV spells them. */
export type Ecosystem = 'npm' | 'PyPI';

type AffectedEntry = z.infer<typeof Affected>;

/** Range types read per ecosystem: npm versions are semver; PyPI's are PEP 440 (OSV `ECOSYSTEM`). */
const RANGE_TYPES: Record<Ecosystem, readonly string[]> = {
  npm: ['SEMVER', 'ECOSYSTEM'],
  PyPI: ['ECOSYSTEM'],
};

/**
 * Whether one `affected` entry names this package at this version. npm: the exact name, the exact
 * listed version or a semver range. PyPI: names compared PEP 503 normalized, a listed version equal
 * as a string or in PEP 440 order (`1.0` is `1.0.0`), or a PEP 440 range.
 */
const affects = (
  affected: AffectedEntry,
  ecosystem: Ecosystem,
  name: string,
  version: string,
): boolean => {
  const pkg = affected.package;
  if (pkg?.ecosystem !== ecosystem) return false;
  const ranges = (affected.ranges ?? []).filter((r) => RANGE_TYPES[ecosystem].includes(r.type));
  const listed = affected.versions ?? [];
  if (ecosystem === 'npm') {
    if (pkg.name !== name) return false;
    const parsed = SEMVER_ORDER.parse(version);
    if (listed.includes(version)) return true;
    return parsed !== undefined && ranges.some((r) => inRange(SEMVER_ORDER, parsed, r.events));
  }
  if (normalizePypiName(pkg.name) !== normalizePypiName(name)) return false;
  if (listed.includes(version)) return true;
  const parsed = PEP440_ORDER.parse(version);
  if (parsed === undefined) return false;
  const same = (v: string) => PEP440_ORDER.parse(v) !== undefined && samePep440(parsed, v);
  return listed.some(same) || ranges.some((r) => inRange(PEP440_ORDER, parsed, r.events));
};

/**
 * The advisories (not withdrawn) that name this package of `ecosystem` at this version, by explicit
 * version or by range.
 */
export const matchPackage = (
  records: readonly OsvRecord[],
  name: string,
  version: string,
  ecosystem: Ecosystem = 'npm',
): Match[] => {
  const matches: Match[] = [];
  for (const record of records) {
    if (record.withdrawn !== undefined) continue;
    const affected = record.affected.find((a) => affects(a, ecosystem, name, version));
    if (affected === undefined) continue;
    const ranges = (affected.ranges ?? []).filter((r) => RANGE_TYPES[ecosystem].includes(r.type));
    matches.push({
      id: record.id,
      aliases: record.aliases ?? [],
      summary: record.summary ?? '',
      severity: severityOf(record, affected),
      fixed: ranges.flatMap((r) =>
        r.events.flatMap((e) => (e.fixed !== undefined ? [e.fixed] : [])),
      ),
    });
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

/**
 * A server as scanned: its id and its own package; an npm server with its installed tree when
 * known, a Python server with every wheel the lock pins (its own among them).
 */
export type ScannedServer =
  | {
      readonly kind: 'npm';
      readonly id: string;
      readonly name: string;
      readonly version: string;
      readonly tree?: InstalledTree | undefined;
    }
  | {
      readonly kind: 'pypi';
      readonly id: string;
      readonly name: string;
      readonly version: string;
      readonly wheels: readonly { readonly name: string; readonly version: string }[];
    };

/** Every package of a server, once each, with its ecosystem. */
const packagesOfServer = (
  server: ScannedServer,
): { ecosystem: Ecosystem; name: string; version: string }[] => {
  const ecosystem: Ecosystem = server.kind === 'npm' ? 'npm' : 'PyPI';
  const all =
    server.kind === 'npm'
      ? [server, ...(server.tree?.packages.values() ?? [])]
      : [
          ...server.wheels,
          ...(server.wheels.some((w) => w.name === normalizePypiName(server.name)) ? [] : [server]),
        ];
  const unique = new Map(all.map((p) => [`${p.name}@${p.version}`, p]));
  return [...unique.values()].map((p) => ({ ecosystem, name: p.name, version: p.version }));
};

/** One advisory found in a server's locked tree. */
export interface AdvisoryFinding extends Match {
  readonly server: string;
  readonly package: string;
  readonly version: string;
}

/** Each package of each server (its own and every dependency found), matched against the records. */
export const findAdvisories = (
  servers: readonly ScannedServer[],
  match: (ecosystem: Ecosystem, name: string, version: string) => Match[],
): AdvisoryFinding[] => {
  const findings: AdvisoryFinding[] = [];
  for (const server of servers)
    for (const p of packagesOfServer(server).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    ))
      for (const m of match(p.ecosystem, p.name, p.version))
        findings.push({ ...m, server: server.id, package: p.name, version: p.version });
  const rank = (f: AdvisoryFinding) =>
    f.severity === 'unknown' ? 1.5 : SEVERITY_ORDER.indexOf(f.severity);
  return findings.sort(
    (a, b) => rank(b) - rank(a) || (a.server < b.server ? -1 : a.server > b.server ? 1 : 0),
  );
};
