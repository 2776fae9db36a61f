import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOOD, item, NOW, REDTEAM_OK, score } from '../../test/fixtures/check-input.js';
import { configSha256, readRedteamState } from './probe-redteam.js';
import type { RedteamState } from './types.js';

const redteamItem = (redteam: RedteamState) => item(score(GOOD, { redteam }), 'red-team-testing');

describe('when red-team testing is scored', () => {
  it('[CHK-8] passes a recent report for this config with every attack blocked', () => {
    const r = redteamItem(REDTEAM_OK);
    expect(r.verdict).toBe('pass');
    expect(r.evidence.join('\n')).toContain('all 22 attacks blocked on 2026-11-30');
  });

  it('[CHK-8] fails a report with an attack NOT BLOCKED, naming it', () => {
    const r = redteamItem({
      ...REDTEAM_OK,
      blocked: 20,
      notBlocked: ['ssrf-loopback', 'rug-pull'],
    });
    expect(r.verdict).toBe('fail');
    expect(r.evidence.join('\n')).toContain('ssrf-loopback, rug-pull');
  });

  it('[CHK-8] warns with the command to run when the report is missing, stale, undated, for another config or not a report', () => {
    const cases: RedteamState[] = [
      { kind: 'absent', path: '/srv/tg/toolgate-redteam.json' },
      { kind: 'invalid', path: '/srv/tg/toolgate-redteam.json', error: 'not JSON' },
      { ...REDTEAM_OK, sameConfig: false },
      { ...REDTEAM_OK, generatedAt: undefined },
      { ...REDTEAM_OK, generatedAt: new Date(NOW.getTime() - 31 * 86_400_000) },
    ];
    for (const redteam of cases) {
      const r = redteamItem(redteam);
      expect(r.verdict, JSON.stringify(redteam)).toBe('warn');
      expect(r.fix).toBe(
        'toolgate redteam --config /srv/tg/toolgate.yaml --format json > /srv/tg/toolgate-redteam.json',
      );
    }
    expect(
      redteamItem({ ...REDTEAM_OK, generatedAt: new Date(NOW.getTime() - 29 * 86_400_000) })
        .verdict,
    ).toBe('pass');
  });
});

describe('when the red-team report is read', () => {
  it('[CHK-8] ties the report to the config file by its digest, and reports a file that is not a report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-chk8-'));
    const config = join(dir, 'toolgate.yaml');
    writeFileSync(config, 'servers: {}\n');
    const report = (over: Record<string, unknown>) =>
      writeFileSync(
        join(dir, 'toolgate-redteam.json'),
        JSON.stringify({
          generatedAt: '2026-11-30T12:00:00.000Z',
          configSha256: 'x',
          attacks: [
            { id: 'rug-pull', blocked: true },
            { id: 'ssrf-ipv6', blocked: false },
          ],
          ...over,
        }),
      );
    expect(await readRedteamState(config)).toMatchObject({ kind: 'absent' });
    report({ configSha256: await configSha256(config) });
    expect(await readRedteamState(config)).toEqual({
      kind: 'present',
      path: join(dir, 'toolgate-redteam.json'),
      generatedAt: new Date('2026-11-30T12:00:00Z'),
      sameConfig: true,
      blocked: 1,
      notBlocked: ['ssrf-ipv6'],
    });
    writeFileSync(config, 'servers: {}\n# changed\n');
    expect(await readRedteamState(config)).toMatchObject({ sameConfig: false });
    report({ attacks: 'none' });
    expect(await readRedteamState(config)).toMatchObject({ kind: 'invalid' });
  });
});
