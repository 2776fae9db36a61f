import { describe, expect, it } from 'vitest';
import { GOOD, item, NOW, score } from '../../test/fixtures/check-input.js';
import { AdvisoriesSchema } from '../config/advisories-schema.js';
import { decideAdvisories } from '../packages/advisory-policy.js';
import type { AdvisoryFinding } from '../packages/osv.js';
import type { AdvisoryState } from './types.js';

const HIGH: AdvisoryFinding = {
  ...{ server: 'echo', package: 'dep-a', version: '1.4.0', id: 'GHSA-aaaa-bbbb-cccc' },
  ...{ aliases: [], summary: 'pollution', severity: 'high', fixed: ['1.4.1'] },
};
const DAY = 86_400_000;

/** Item 9 for a config with `advisories` and the data a start would find, `ageDays` old. */
const scan = (
  advisories: Record<string, unknown>,
  findings: AdvisoryFinding[],
  over: { ageDays?: number; uncovered?: string } = {},
) => {
  const policy = AdvisoriesSchema.parse({ osv: 'osv', ...advisories });
  const state: AdvisoryState = {
    kind: 'present',
    gate: {
      sources: [
        {
          kind: 'osv',
          path: '/srv/tg/osv',
          at: new Date(NOW.getTime() - (over.ageDays ?? 1) * DAY),
        },
      ],
      decisions: new Map([
        [
          'echo',
          decideAdvisories({
            server: 'echo',
            findings,
            policy,
            now: NOW,
            uncovered: over.uncovered,
          }),
        ],
      ]),
    },
  };
  return item(
    score({ ...GOOD, advisories: { osv: 'osv', ...advisories } }, { advisories: state }),
    'sbom-dependency-scanning',
  );
};

describe('when dependency scanning is scored', () => {
  it('[CHK-9] passes with a policy at high, fresh data and no unwaived high advisory', () => {
    const r = scan({}, [{ ...HIGH, severity: 'medium' }]);
    expect(r.verdict, r.evidence.join('\n')).toBe('pass');
    expect(r.evidence.join('\n')).toContain(
      'servers.echo: no unwaived advisory at or above high (1 below)',
    );
    expect(r.evidence.join('\n')).toContain('osv /srv/tg/osv: 1 day(s) old');
  });

  it('[CHK-9] fails an unwaived high advisory (or one whose waiver expired), with the upgrade and the waiver to write', () => {
    const r = scan({}, [HIGH]);
    expect(r.verdict).toBe('fail');
    expect(r.evidence.join('\n')).toContain(
      'dep-a@1.4.0 GHSA-aaaa-bbbb-cccc (high) — the server is not started',
    );
    expect(r.fix).toContain('upgrade dep-a to 1.4.1');
    expect(r.fix).toContain('advisories.waivers');
    const lapsed = scan(
      { waivers: [{ advisory: HIGH.id, reason: 'not reachable here', expires: '2026-11-01' }] },
      [HIGH],
    );
    expect(lapsed.verdict).toBe('fail');
    expect(lapsed.evidence.join('\n')).toContain('its waiver expired on 2026-11-01');
    const critical = scan({ refuseAt: 'critical' }, [HIGH]);
    expect(critical.verdict).toBe('fail');
    expect(critical.evidence.join('\n')).toContain('unwaived, yet it starts');
  });

  it('[CHK-9] passes a waived advisory with its reason, and warns a week before the waiver lapses', () => {
    const waiver = { advisory: HIGH.id, reason: 'not reachable here', expires: '2027-06-01' };
    const r = scan({ waivers: [waiver] }, [HIGH]);
    expect(r.verdict).toBe('pass');
    expect(r.evidence.join('\n')).toContain('waived until 2027-06-01: not reachable here');
    const soon = scan({ waivers: [{ ...waiver, expires: '2026-12-05' }] }, [HIGH]);
    expect(soon.verdict).toBe('warn');
    expect(soon.evidence.join('\n')).toContain('expires in 4 day(s)');
  });

  it('[CHK-9] warns on stale data, a lax refuseAt, or no policy at all; fails unchecked servers and unreadable data', () => {
    expect(scan({}, [], { ageDays: 9 }).fix).toContain(
      'toolgate deps --config /srv/tg/toolgate.yaml --format json',
    );
    expect(scan({ refuseAt: 'none' }, []).verdict).toBe('warn');
    const off = item(score(GOOD), 'sbom-dependency-scanning');
    expect(off).toMatchObject({ verdict: 'warn' });
    expect(off.fix).toContain('advisories: { report: toolgate-deps.json, refuseAt: high }');
    expect(scan({}, [], { uncovered: 'report made for x@1' }).verdict).toBe('fail');
    const invalid = item(
      score(
        { ...GOOD, advisories: { osv: 'osv' } },
        { advisories: { kind: 'invalid', error: 'SBOM_OSV_INVALID: bad' } },
      ),
      'sbom-dependency-scanning',
    );
    expect(invalid.verdict).toBe('fail');
  });
});
