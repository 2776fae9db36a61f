/**
 * The start policy on known advisories: which findings of a server's locked tree refuse its start,
 * which a waiver accepts, and which stay below the bar. Pure: findings, waivers and today's date in,
 * a decision out (the I/O half is advisory-gate.ts).
 */
import type { AdvisoriesConfig, WaiverConfig } from '../config/advisories-schema.js';
import type { AdvisoryErrorCode } from '../errors.js';
import { failsAt, type AdvisoryFinding } from './osv.js';

/**
 * A finding as the policy sees it: `waived` by a waiver in force, `expired` when the only waivers
 * that name it are past their date (it counts as unwaived, and says so), else `open`.
 */
export interface Classified {
  readonly finding: AdvisoryFinding;
  readonly status: 'open' | 'waived' | 'expired';
  /** The waiver applied (waived) or the last one that lapsed (expired). */
  readonly waiver?: WaiverConfig;
}

export type AdvisoryDecision =
  | { readonly ok: true; readonly classified: readonly Classified[] }
  | {
      readonly ok: false;
      readonly code: Extract<AdvisoryErrorCode, 'ADVISORY_REFUSED' | 'ADVISORY_UNCHECKED'>;
      readonly message: string;
      readonly classified: readonly Classified[];
    };

type Policy = Pick<AdvisoriesConfig, 'refuseAt' | 'waivers'>;

/** YYYY-MM-DD of a moment, in UTC: waivers are valid through their `expires` day. */
const utcDay = (now: Date): string => now.toISOString().slice(0, 10);

const names = (finding: AdvisoryFinding, waiver: WaiverConfig): boolean =>
  (waiver.server === undefined || waiver.server === finding.server) &&
  [finding.id, ...finding.aliases].some((id) => id.toUpperCase() === waiver.advisory.toUpperCase());

/** Each finding with the waiver that covers it on `now`, if any. */
export const classifyFindings = (
  findings: readonly AdvisoryFinding[],
  waivers: readonly WaiverConfig[],
  now: Date,
): Classified[] =>
  findings.map((finding) => {
    const matching = waivers.filter((w) => names(finding, w));
    const inForce = matching.find((w) => w.expires >= utcDay(now));
    if (inForce) return { finding, status: 'waived', waiver: inForce };
    const lapsed = matching.at(-1);
    return lapsed ? { finding, status: 'expired', waiver: lapsed } : { finding, status: 'open' };
  });

/** Whether a classified finding refuses a start under `refuseAt` (unrated counts as high). */
export const refuses = (c: Classified, refuseAt: Policy['refuseAt']): boolean =>
  c.status !== 'waived' && refuseAt !== 'none' && failsAt(c.finding.severity, refuseAt);

const describe = (c: Classified): string => {
  const f = c.finding;
  const fixed = f.fixed.length > 0 ? `, fixed in ${f.fixed.join(', ')}` : ', no fixed version';
  const lapsed = c.status === 'expired' ? ` (its waiver expired on ${c.waiver?.expires})` : '';
  return `${f.package}@${f.version} has ${f.id} (${f.severity}${f.summary ? `: ${f.summary}` : ''}${fixed})${lapsed}`;
};

/**
 * Decides whether a server may start. `uncovered` says why no advisory data describes the locked
 * package (a report made for another version): the server is then refused as unchecked, since an
 * unscanned tree is not a clean one.
 * @example decideAdvisories({ server: 'fs', findings, policy, now: new Date() }).ok
 */
export const decideAdvisories = (input: {
  readonly server: string;
  readonly uncovered?: string | undefined;
  readonly findings: readonly AdvisoryFinding[];
  readonly policy: Policy;
  readonly now: Date;
}): AdvisoryDecision => {
  const { server, uncovered, policy } = input;
  const classified = classifyFindings(input.findings, policy.waivers, input.now);
  if (uncovered !== undefined && policy.refuseAt !== 'none')
    return {
      ok: false,
      code: 'ADVISORY_UNCHECKED',
      message: `server "${server}" not started: no advisory data covers it (${uncovered}); run toolgate deps again for it, or point advisories.osv at an OSV file or folder`,
      classified,
    };
  const refused = classified.filter((c) => refuses(c, policy.refuseAt));
  const first = refused[0];
  if (first === undefined) return { ok: true, classified };
  const more =
    refused.length > 1 ? ` and ${refused.length - 1} more at or above ${policy.refuseAt}` : '';
  return {
    ok: false,
    code: 'ADVISORY_REFUSED',
    message:
      `server "${server}" not started: ${describe(first)}${more}. Fix: upgrade ${first.finding.package}` +
      `${first.finding.fixed.length > 0 ? ` to ${first.finding.fixed.join(' or ')}` : ''} and run toolgate lock again, ` +
      `or waive it: advisories.waivers: [{ advisory: ${first.finding.id}, server: ${server}, reason: "why it does not apply", expires: YYYY-MM-DD }]`,
    classified,
  };
};
