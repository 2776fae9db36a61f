import { describe, expect, it } from 'vitest';
import { AdvisoriesSchema } from '../config/advisories-schema.js';
import { classifyFindings, decideAdvisories } from './advisory-policy.js';
import type { AdvisoryFinding } from './osv.js';

const finding = (over: Partial<AdvisoryFinding> = {}): AdvisoryFinding => ({
  server: 'fs',
  package: 'dep-a',
  version: '1.4.0',
  id: 'GHSA-aaaa-bbbb-cccc',
  aliases: ['CVE-2026-00001'],
  summary: 'Prototype pollution',
  severity: 'high',
  fixed: ['1.4.1'],
  ...over,
});

const policy = (over: Record<string, unknown> = {}) =>
  AdvisoriesSchema.parse({ osv: 'osv', ...over });

const NOW = new Date('2026-12-07T17:00:00Z');
const WAIVER = { advisory: 'GHSA-aaaa-bbbb-cccc', reason: 'the polluted path is never reached' };

describe('when a locked tree has an advisory', () => {
  it('[ADV-1] refuses at the default bar (high), naming server, package, advisory, severity and both fixes', () => {
    const d = decideAdvisories({ server: 'fs', findings: [finding()], policy: policy(), now: NOW });
    expect(d).toMatchObject({ ok: false, code: 'ADVISORY_REFUSED' });
    if (d.ok) return;
    expect(d.message).toContain('server "fs" not started');
    expect(d.message).toContain('dep-a@1.4.0 has GHSA-aaaa-bbbb-cccc (high: Prototype pollution');
    expect(d.message).toContain('upgrade dep-a to 1.4.1');
    expect(d.message).toContain('advisories.waivers: [{ advisory: GHSA-aaaa-bbbb-cccc, server: fs');
  });

  it('[ADV-1] counts an unrated advisory as high, and lets through what is below the bar', () => {
    const unrated = finding({ severity: 'unknown' });
    expect(
      decideAdvisories({ server: 'fs', findings: [unrated], policy: policy(), now: NOW }).ok,
    ).toBe(false);
    const medium = finding({ severity: 'medium' });
    expect(
      decideAdvisories({ server: 'fs', findings: [medium], policy: policy(), now: NOW }).ok,
    ).toBe(true);
    const critical = policy({ refuseAt: 'critical' });
    expect(
      decideAdvisories({ server: 'fs', findings: [finding()], policy: critical, now: NOW }).ok,
    ).toBe(true);
    const none = policy({ refuseAt: 'none' });
    const worst = finding({ severity: 'critical' });
    expect(decideAdvisories({ server: 'fs', findings: [worst], policy: none, now: NOW }).ok).toBe(
      true,
    );
  });

  it('[ADV-1] says how many more advisories refuse it besides the first', () => {
    const two = [finding(), finding({ id: 'GHSA-2', aliases: [], package: 'dep-b' })];
    const d = decideAdvisories({ server: 'fs', findings: two, policy: policy(), now: NOW });
    expect(!d.ok && d.message).toContain('and 1 more at or above high');
  });
});

describe('when a waiver names the advisory', () => {
  it('[ADV-2] accepts it through its expiry day (UTC), by id or alias, for every server or the one named', () => {
    const today = policy({ waivers: [{ ...WAIVER, expires: '2026-12-07' }] });
    expect(
      decideAdvisories({ server: 'fs', findings: [finding()], policy: today, now: NOW }),
    ).toMatchObject({
      ok: true,
      classified: [{ status: 'waived', waiver: { expires: '2026-12-07' } }],
    });
    const alias = policy({
      waivers: [{ ...WAIVER, advisory: 'cve-2026-00001', expires: '2027-01-01' }],
    });
    expect(
      decideAdvisories({ server: 'fs', findings: [finding()], policy: alias, now: NOW }).ok,
    ).toBe(true);
    const other = policy({ waivers: [{ ...WAIVER, server: 'mem', expires: '2027-01-01' }] });
    expect(
      decideAdvisories({ server: 'fs', findings: [finding()], policy: other, now: NOW }).ok,
    ).toBe(false);
  });

  it('[ADV-2] does not count an expired waiver, and the refusal says it expired', () => {
    const lapsed = policy({ waivers: [{ ...WAIVER, expires: '2026-12-06' }] });
    const d = decideAdvisories({ server: 'fs', findings: [finding()], policy: lapsed, now: NOW });
    expect(d).toMatchObject({
      ok: false,
      code: 'ADVISORY_REFUSED',
      classified: [{ status: 'expired' }],
    });
    expect(!d.ok && d.message).toContain('its waiver expired on 2026-12-06');
  });

  it('[ADV-2] prefers a waiver in force over a lapsed one for the same advisory', () => {
    const waivers = [
      { ...WAIVER, expires: '2027-03-01' },
      { ...WAIVER, expires: '2026-01-01' },
    ];
    expect(classifyFindings([finding()], policy({ waivers }).waivers, NOW)[0]?.status).toBe(
      'waived',
    );
  });

  it('[ADV-2] is a config error without a reason or an expiry, or with a date that does not exist', () => {
    for (const waiver of [
      { advisory: 'GHSA-x-y-z', expires: '2027-01-01' },
      { advisory: 'GHSA-x-y-z', reason: 'accepted for now' },
      { advisory: 'GHSA-x-y-z', reason: 'ok', expires: '2027-01-01' },
      { advisory: 'GHSA-x-y-z', reason: 'accepted for now', expires: '2027-02-30' },
      { advisory: 'GHSA-x-y-z', reason: 'accepted for now', expires: 'next year' },
    ])
      expect(
        AdvisoriesSchema.safeParse({ osv: 'osv', waivers: [waiver] }).success,
        JSON.stringify(waiver),
      ).toBe(false);
    expect(AdvisoriesSchema.safeParse({ refuseAt: 'high' }).success).toBe(false); // no data source
  });
});

describe('when no advisory data covers the locked package', () => {
  it('[ADV-3] refuses it as unchecked, saying why, unless the policy only reports', () => {
    const input = {
      server: 'fs',
      findings: [],
      now: NOW,
      uncovered: 'deps.json was made for x@1, the lock pins x@2',
    };
    const d = decideAdvisories({ ...input, policy: policy() });
    expect(d).toMatchObject({ ok: false, code: 'ADVISORY_UNCHECKED' });
    expect(!d.ok && d.message).toContain('(deps.json was made for x@1, the lock pins x@2)');
    expect(decideAdvisories({ ...input, policy: policy({ refuseAt: 'none' }) }).ok).toBe(true);
  });
});
