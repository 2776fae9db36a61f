import { describe, expect, it } from 'vitest';
import type { LockPackage } from '../pins/lock.js';
import { SCRIPT, lockOf, GOOD, score, item, withEcho } from '../../test/fixtures/check-input.js';

describe('when the lock is scored', () => {
  it('[CHK-5] fails signature verification and update policy without a lock, with the lock command', () => {
    const results = score(GOOD, { lock: { kind: 'absent', path: '/srv/tg/toolgate.lock' } });
    for (const id of ['signature-verification', 'update-policy'] as const)
      expect(item(results, id), id).toMatchObject({
        verdict: 'fail',
        fix: 'toolgate lock --config /srv/tg/toolgate.yaml',
      });
    expect(
      item(
        score(GOOD, { lock: { kind: 'invalid', path: '/l', error: 'LOCK_TAMPERED' } }),
        'update-policy',
      ).verdict,
    ).toBe('fail');
  });

  it('[CHK-5] fails a configured server missing from the lock', () => {
    const r = item(score(GOOD, { lock: lockOf({ other: SCRIPT }) }), 'signature-verification');
    expect(r).toMatchObject({
      verdict: 'fail',
      fix: 'toolgate lock --config /srv/tg/toolgate.yaml echo',
    });
  });

  it('[CHK-5] warns on npm provenance without a pinned signer, suggesting the signer the lock recorded', () => {
    const npm: LockPackage = {
      kind: 'npm',
      name: 'srv',
      version: '1.2.3',
      spec: 'srv@1.2.3',
      launcher: 'store',
      provenance: {
        predicateType: 'https://slsa.dev/provenance/v1',
        subjectDigest: 'c',
        subjectAlternativeName:
          'https://github.com/o/srv/.github/workflows/release.yml@refs/tags/v1.2.3',
      },
    };
    const r = item(score(GOOD, { lock: lockOf({ echo: npm }) }), 'signature-verification');
    expect(r).toMatchObject({
      verdict: 'warn',
      fix: expect.stringContaining(
        'subjectAlternativeName: "https://github.com/o/srv/.github/workflows/release.yml@refs/tags/v1.2.3"',
      ),
    });
    const pinned = withEcho({
      pin: {
        identity: {
          subjectAlternativeName:
            'https://github.com/o/srv/.github/workflows/release.yml@refs/tags/v1.2.3',
        },
      },
    });
    expect(
      item(score(pinned, { lock: lockOf({ echo: npm }) }), 'signature-verification').verdict,
    ).toBe('pass');
    expect(
      item(
        score(GOOD, { lock: lockOf({ echo: { ...npm, provenance: 'absent' } }) }),
        'signature-verification',
      ).verdict,
    ).toBe('warn');
  });

  it('[CHK-5] warns on an unpinned npm spec and on lock.required: false', () => {
    const npm: LockPackage = {
      kind: 'npm',
      name: 'srv',
      version: '1.2.3',
      spec: 'srv@latest',
      launcher: 'store',
      provenance: 'absent',
    };
    expect(item(score(GOOD, { lock: lockOf({ echo: npm }) }), 'update-policy')).toMatchObject({
      verdict: 'warn',
      fix: expect.stringContaining('"srv@1.2.3"'),
    });
    expect(item(score({ ...GOOD, lock: { required: false } }), 'update-policy')).toMatchObject({
      verdict: 'warn',
      fix: 'lock: { required: true }',
    });
  });
});

describe('when credentials and outputs are scored', () => {
  it('[CHK-7] warns on a credential written in env or headers, suggesting a secret source', () => {
    const r = item(
      score(withEcho({ env: { GITHUB_TOKEN: 'ghp_x', LOG_LEVEL: 'info' } })),
      'credential-scoping',
    );
    expect(r).toMatchObject({
      verdict: 'warn',
      fix: expect.stringContaining('servers.echo.secrets: { GITHUB_TOKEN: { env: GITHUB_TOKEN } }'),
    });
    expect(r.evidence.join('\n')).not.toContain('LOG_LEVEL');
    const http = score(
      {
        ...GOOD,
        servers: {
          far: { url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer x' } },
        },
      },
      { lock: lockOf({ far: { kind: 'remote', url: 'https://mcp.example.com/mcp' } }) },
    );
    expect(item(http, 'credential-scoping').fix).toContain(
      'servers.far.secretHeaders: { Authorization: { env: AUTHORIZATION } }',
    );
    expect(
      item(score(withEcho({ secrets: { GITHUB_TOKEN: { env: 'GH' } } })), 'credential-scoping')
        .verdict,
    ).toBe('pass');
  });

  it('[CHK-7] warns when the detector is off or only warns, or dangerous link schemes are allowed', () => {
    expect(
      item(score({ ...GOOD, content: { detect: { enabled: false } } }), 'output-validation')
        .verdict,
    ).toBe('warn');
    expect(
      item(score({ ...GOOD, content: { detect: { toolResults: 'warn' } } }), 'output-validation')
        .fix,
    ).toContain('toolResults: block');
    expect(
      item(
        score({ ...GOOD, content: { output: { allowSchemes: ['javascript'] } } }),
        'output-validation',
      ).verdict,
    ).toBe('warn');
  });
});
