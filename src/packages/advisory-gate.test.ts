import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdvisoriesSchema } from '../config/advisories-schema.js';
import { parseLock, toInitializeRecord } from '../pins/lock.js';
import { loadAdvisoryGate } from './advisory-gate.js';
import { hashTreeFiles, treeDigest } from './fingerprint.js';

const SHA = 'a'.repeat(64);
const lockOf = (version: string) =>
  parseLock({
    lockfileVersion: 1,
    servers: {
      py: {
        package: {
          kind: 'pypi',
          name: 'TinyMCP',
          version,
          spec: `tinymcp==${version}`,
          command: 'tinymcp',
          python: '/usr/bin/python3',
          distributions: {
            [`tinymcp-${version}-py3-none-any.whl`]: SHA,
            'tiny_shout-1.0.0-py3-none-any.whl': SHA,
          },
        },
        initialize: toInitializeRecord({ serverInfo: { name: 't', version }, capabilities: {} }),
      },
    },
  });

describe('when advisories.osv names a Python server’s locked wheel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-gate-'));
  writeFileSync(
    join(dir, 'osv.json'),
    JSON.stringify({
      id: 'PYSEC-GATE-1',
      database_specific: { severity: 'HIGH' },
      affected: [
        {
          package: { ecosystem: 'PyPI', name: 'Tiny.Shout' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0.1' }] }],
        },
      ],
    }),
  );
  const gate = (version: string, policy: Record<string, unknown>) =>
    loadAdvisoryGate({
      advisories: AdvisoriesSchema.parse(policy),
      configDir: dir,
      lock: lockOf(version),
      servers: ['py'],
      store: join(dir, 'store'),
      now: new Date('2026-12-07T00:00:00Z'),
    });

  it('[ADV-1] refuses its start, naming the wheel, the advisory and the fix', async () => {
    const decision = (await gate('1.0.0', { osv: 'osv.json' })).decisions.get('py');
    expect(decision).toMatchObject({ ok: false, code: 'ADVISORY_REFUSED' });
    expect(decision?.ok === false && decision.message).toContain(
      'tiny-shout@1.0.0 has PYSEC-GATE-1 (high, fixed in 1.0.1)',
    );
  });

  it('[ADV-3] a toolgate deps report made for another release of it refuses it as unchecked', async () => {
    writeFileSync(
      join(dir, 'report.json'),
      JSON.stringify({
        generatedAt: '2026-12-06T00:00:00Z',
        packages: { py: 'TinyMCP@0.9.0' },
        findings: [],
      }),
    );
    const policy = { report: 'report.json' };
    expect((await gate('1.0.0', policy)).decisions.get('py')).toMatchObject({
      ok: false,
      code: 'ADVISORY_UNCHECKED',
    });
    expect((await gate('0.9.0', policy)).decisions.get('py')).toMatchObject({ ok: true });
  });
});

describe('when the lock names the installed tree of a node_modules server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-gate-npm-'));
  const installed = join(dir, 'node_modules', 'tiny');
  mkdirSync(installed, { recursive: true });
  writeFileSync(join(installed, 'package.json'), '{"name":"tiny","version":"1.0.0"}');
  writeFileSync(join(dir, 'osv.json'), '[]');
  const gate = async (tree: string) =>
    (
      await loadAdvisoryGate({
        advisories: AdvisoriesSchema.parse({ osv: 'osv.json' }),
        configDir: dir,
        lock: parseLock({
          lockfileVersion: 1,
          servers: {
            tiny: {
              package: {
                kind: 'npm',
                name: 'tiny',
                version: '1.0.0',
                spec: 'tiny@1.0.0',
                launcher: 'node_modules',
                installPath: installed,
                tree,
                provenance: 'absent',
              },
              initialize: toInitializeRecord({
                serverInfo: { name: 't', version: '1' },
                capabilities: {},
              }),
            },
          },
        }),
        servers: ['tiny'],
        store: join(dir, 'store'),
        now: new Date('2026-12-07T00:00:00Z'),
      })
    ).decisions.get('tiny');

  it('[ADV-1] scans the tree only when it is the one the lock pins (a lock cannot aim the scan at a clean copy)', async () => {
    const pinned = treeDigest(await hashTreeFiles(installed));
    expect(await gate(pinned)).toMatchObject({ ok: true });
    const elsewhere = await gate('b'.repeat(64));
    expect(elsewhere).toMatchObject({ ok: false, code: 'ADVISORY_UNCHECKED' });
    expect(elsewhere?.ok === false && elsewhere.message).toContain(
      `${installed} is not the tree the lock pins`,
    );
  });
});
