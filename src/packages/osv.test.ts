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

describe('OSV matcher, PyPI', () => {
  const pypi = (affected: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    record({
      id: 'PYSEC-test',
      affected: [{ package: { ecosystem: 'PyPI', name: 'Typing_Extensions' }, ...affected }],
      ...extra,
    });
  const hit = (r: OsvRecord, version: string, name = 'typing-extensions') =>
    matchPackage([r], name, version, 'PyPI').length > 0;

  it('[SBOM-7] a listed version matches by PEP 440 equality under the PEP 503 name, in the PyPI ecosystem only', () => {
    const listed = pypi({ versions: ['4.0', '4.1.1'] });
    expect(['4.0', '4.0.0', '4.1.1', '4.1', '4.0.post1'].map((v) => hit(listed, v))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(hit(listed, '4.1.1', 'typing.extensions')).toBe(true);
    expect(hit(listed, '4.1.1', 'typing-extension')).toBe(false);
    // The same name in another ecosystem is another package.
    expect(matchPackage([listed], 'typing-extensions', '4.1.1', 'npm')).toEqual([]);
    const npmOnly = ranged([{ introduced: '0' }]);
    expect(matchPackage([npmOnly], 'left-pad', '1.0.0', 'PyPI')).toEqual([]);
  });

  it('[SBOM-7] ECOSYSTEM ranges use PEP 440 order: pre-, post- and dev-releases, last_affected, "0"', () => {
    const r = pypi({
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '1.2' }, { fixed: '1.10.0' }] }],
    });
    expect(
      ['1.2', '1.2.0.post1', '1.9.99', '1.10.0rc1', '1.10.dev0'].map((v) => hit(r, v)),
    ).toEqual([true, true, true, true, true]);
    expect(['1.1.9', '1.2rc1', '1.10', '1.10.0.post1', '2.0'].map((v) => hit(r, v))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    const last = pypi({
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { last_affected: '2.0' }] }],
    });
    expect(['0.0.dev0', '2.0.0', '2.0.post1', '2.0.1'].map((v) => hit(last, v))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    // SEMVER ranges are not PyPI's; a GIT range names commits.
    const semver = pypi({ ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] });
    expect(hit(semver, '1.0')).toBe(false);
    expect(matchPackage([r], 'typing-extensions', '1.5', 'PyPI')[0]).toMatchObject({
      id: 'PYSEC-test',
      fixed: ['1.10.0'],
    });
  });
});
