import { describe, expect, it } from 'vitest';
import { failsAt, matchPackage, OsvRecordSchema, type OsvRecord } from './osv.js';

const record = (doc: Record<string, unknown>): OsvRecord => OsvRecordSchema.parse(doc);
const ranged = (events: Record<string, string>[], extra: Record<string, unknown> = {}) =>
  record({
    id: 'GHSA-test',
    affected: [
      { package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events }] },
    ],
    ...extra,
  });
const hits = (r: OsvRecord, version: string, name = 'left-pad') =>
  matchPackage([r], name, version).length > 0;

describe('OSV matcher', () => {
  it('[SBOM-3] introduced/fixed ranges: the fixed version and later are not affected', () => {
    const r = ranged([{ introduced: '1.2.0' }, { fixed: '1.4.1' }]);
    expect(['1.2.0', '1.3.9', '1.4.1-beta.1', '1.4.0'].map((v) => hits(r, v))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['1.1.9', '1.4.1', '2.0.0', '1.2.0-rc.1'].map((v) => hits(r, v))).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it('[SBOM-3] "introduced: 0", last_affected, several intervals and explicit versions', () => {
    expect(hits(ranged([{ introduced: '0' }, { fixed: '0.5.0' }]), '0.0.1')).toBe(true);
    expect(hits(ranged([{ introduced: '0' }, { fixed: '0.5.0' }]), '0.0.0-alpha')).toBe(true);
    const last = ranged([{ introduced: '1.0.0' }, { last_affected: '1.5.0' }]);
    expect([hits(last, '1.5.0'), hits(last, '1.5.1')]).toEqual([true, false]);
    const two = ranged([
      { introduced: '1.0.0' },
      { fixed: '1.1.0' },
      { introduced: '2.0.0' },
      { fixed: '2.0.3' },
    ]);
    expect(['1.0.5', '1.9.0', '2.0.2', '2.0.3', '10.0.0'].map((v) => hits(two, v))).toEqual([
      true,
      false,
      true,
      false,
      false,
    ]);
    const listed = record({
      id: 'X',
      affected: [
        { package: { ecosystem: 'npm', name: 'left-pad' }, versions: ['0.0.3', 'not-semver'] },
      ],
    });
    expect([hits(listed, '0.0.3'), hits(listed, 'not-semver'), hits(listed, '0.0.4')]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('[SBOM-3] matches only the npm ecosystem and the exact name, and ignores withdrawn advisories', () => {
    const r = record({
      id: 'P',
      affected: [{ package: { ecosystem: 'PyPI', name: 'left-pad' }, versions: ['1.0.0'] }],
    });
    expect(hits(r, '1.0.0')).toBe(false);
    expect(hits(ranged([{ introduced: '0' }]), '1.0.0', 'Left-Pad')).toBe(false);
    expect(
      hits(ranged([{ introduced: '0' }], { withdrawn: '2026-01-01T00:00:00Z' }), '1.0.0'),
    ).toBe(false);
    expect(
      hits(
        record({
          id: 'G',
          affected: [
            {
              package: { ecosystem: 'npm', name: 'left-pad' },
              ranges: [{ type: 'GIT', events: [{ introduced: '0' }] }],
            },
          ],
        }),
        '1.0.0',
      ),
    ).toBe(false);
  });

  it('[SBOM-4] severity from the GitHub label (MODERATE is medium); an unrated advisory fails as high', () => {
    const rated = ranged([{ introduced: '0' }], {
      database_specific: { severity: 'MODERATE' },
      summary: 's',
    });
    expect(matchPackage([rated], 'left-pad', '1.0.0')).toEqual([
      { id: 'GHSA-test', aliases: [], summary: 's', severity: 'medium', fixed: [] },
    ]);
    expect(
      matchPackage([ranged([{ introduced: '0' }, { fixed: '2.0.0' }])], 'left-pad', '1.0.0')[0],
    ).toMatchObject({ severity: 'unknown', fixed: ['2.0.0'] });
    expect([
      failsAt('medium', 'high'),
      failsAt('critical', 'high'),
      failsAt('unknown', 'high'),
      failsAt('unknown', 'critical'),
      failsAt('low', 'low'),
    ]).toEqual([false, true, true, false, true]);
  });
});
