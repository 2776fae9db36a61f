/**
 * The I/O half of the start policy on advisories: reads the configured OSV files and `toolgate
 * deps` report, reads each npm server's locked installed tree (a Python server's wheels are in the
 * lock itself), and asks advisory-policy.ts to decide.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { AdvisoriesConfig } from '../config/advisories-schema.js';
import { AdvisoryError } from '../errors.js';
import type { Lock, LockPackage } from '../pins/lock.js';
import { decideAdvisories, type AdvisoryDecision } from './advisory-policy.js';
import { readInstalledTree } from './installed-tree.js';
import { hashTreeFiles, treeDigest } from './fingerprint.js';
import { installedAt } from './managed.js';
import {
  findAdvisories,
  matchPackage,
  SEVERITY_ORDER,
  type AdvisoryFinding,
  type ScannedServer,
} from './osv.js';
import { osvModifiedAt, readOsv } from './osv-read.js';
import { parseWheelName } from './wheel-name.js';

// untrusted: a report is a file anyone with write access to its folder could have edited; it is
// parsed strictly enough that a malformed one refuses the start rather than passing every server.
const ReportSchema = z.looseObject({
  generatedAt: z.iso.datetime(),
  packages: z.record(z.string(), z.string()),
  findings: z.array(
    z.looseObject({
      server: z.string(),
      package: z.string(),
      version: z.string(),
      id: z.string().min(1),
      aliases: z.array(z.string()).default([]),
      summary: z.string().default(''),
      severity: z.enum([...SEVERITY_ORDER, 'unknown']),
      fixed: z.array(z.string()).default([]),
    }),
  ),
});
type Report = z.infer<typeof ReportSchema>;

/** One source of advisory data and how old it is. */
export interface AdvisorySource {
  readonly kind: 'osv' | 'report';
  readonly path: string;
  /** When the data was made: the report's generatedAt, the newest OSV file's modification time. */
  readonly at: Date;
}

export interface AdvisoryGate {
  readonly sources: readonly AdvisorySource[];
  /** One decision per npm or Python server of the lock that the config still runs; others have no tree to scan. */
  readonly decisions: ReadonlyMap<string, AdvisoryDecision>;
}

const readReport = async (path: string): Promise<Report> => {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    const why = (cause as Error).message;
    throw new AdvisoryError('ADVISORY_REPORT_INVALID', `cannot read ${path}: ${why}`, { cause });
  }
  const parsed = ReportSchema.safeParse(doc);
  if (!parsed.success)
    throw new AdvisoryError(
      'ADVISORY_REPORT_INVALID',
      `${path} is not a toolgate deps --format json report:\n${z.prettifyError(parsed.error)}`,
    );
  return parsed.data;
};

/**
 * What is scanned of a locked package: an npm server's installed tree (read from disk), a Python
 * server's wheels (named by the lock, which pip installed exactly); other kinds have no tree.
 * `unverified` says why the tree read is not the one that runs: a `node_modules` or npx launch
 * reads the lock's own `installPath`, which a hostile lock could point at a clean copy, so that
 * tree must hash to the lock's `tree` (the digest the spawn checks the running copy against).
 */
const scannedOf = async (
  id: string,
  pkg: LockPackage,
  store: string,
): Promise<{ scanned: ScannedServer; unverified?: string } | undefined> => {
  const { kind } = pkg;
  if (kind === 'pypi') {
    const wheels = Object.keys(pkg.distributions).flatMap((f) => parseWheelName(f) ?? []);
    return { scanned: { kind, id, name: pkg.name, version: pkg.version, wheels } };
  }
  if (kind !== 'npm') return undefined;
  const installPath = installedAt(pkg, store);
  const tree =
    installPath === undefined ? undefined : await readInstalledTree(installPath, pkg.name);
  const scanned: ScannedServer = { kind, id, name: pkg.name, version: pkg.version, tree };
  if (installPath === undefined || pkg.launcher === 'store' || pkg.tree === undefined)
    return { scanned }; // a store entry's path follows from its integrity, not from the lock
  const digest = treeDigest(await hashTreeFiles(installPath).catch(() => new Map()));
  return digest === pkg.tree
    ? { scanned }
    : { scanned, unverified: `${installPath} is not the tree the lock pins` };
};

/**
 * Reads the advisory data and decides for every npm and Python server the lock pins and the config runs. An
 * OSV or report file that cannot be read throws (SBOM_OSV_INVALID, ADVISORY_REPORT_INVALID): the
 * policy cannot decide, so nothing starts.
 */
export const loadAdvisoryGate = async (input: {
  readonly advisories: AdvisoriesConfig;
  readonly configDir: string;
  readonly lock: Lock;
  readonly servers: readonly string[];
  readonly store: string;
  readonly now: Date;
}): Promise<AdvisoryGate> => {
  const { advisories, configDir, lock, store, now } = input;
  const sources: AdvisorySource[] = [];
  const osvPath = advisories.osv && resolve(configDir, advisories.osv);
  const records = osvPath === undefined ? undefined : await readOsv(osvPath);
  if (osvPath !== undefined)
    sources.push({ kind: 'osv', path: osvPath, at: await osvModifiedAt(osvPath) });
  const reportPath = advisories.report && resolve(configDir, advisories.report);
  const report = reportPath === undefined ? undefined : await readReport(reportPath);
  if (reportPath !== undefined && report !== undefined)
    sources.push({ kind: 'report', path: reportPath, at: new Date(report.generatedAt) });
  const decisions = new Map<string, AdvisoryDecision>();
  for (const id of input.servers) {
    const pkg = lock.servers[id]?.package;
    const read = pkg && (await scannedOf(id, pkg, store));
    if (read === undefined) continue;
    const { scanned, unverified } = read;
    const findings: AdvisoryFinding[] =
      records === undefined
        ? []
        : findAdvisories([scanned], (e, n, v) => matchPackage(records, n, v, e));
    const reported = report?.packages[id];
    const locked = `${scanned.name}@${scanned.version}`;
    if (reported === locked)
      for (const f of report?.findings ?? [])
        if (f.server === id && !findings.some((o) => o.id === f.id && o.package === f.package))
          findings.push(f);
    const uncovered =
      unverified ??
      (records !== undefined || reported === locked
        ? undefined
        : reported === undefined
          ? `${reportPath} does not list it`
          : `${reportPath} was made for ${reported}, the lock pins ${locked}`);
    decisions.set(
      id,
      decideAdvisories({ server: id, uncovered, findings, policy: advisories, now }),
    );
  }
  return { sources, decisions };
};

/** The sources older than `maxAgeDays` on `now`. */
export const staleSources = (gate: AdvisoryGate, maxAgeDays: number, now: Date): AdvisorySource[] =>
  gate.sources.filter((s) => now.getTime() - s.at.getTime() > maxAgeDays * 86_400_000);
