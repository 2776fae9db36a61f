import { describe, expect, it } from 'vitest';
import { ENV_OK, lockOf, GOOD, score, item, withEcho } from '../../test/fixtures/check-input.js';
import { CHECK_ITEMS } from './types.js';

describe('when a deployment is scored', () => {
  it('[CHK-1] gives every one of the 12 items one verdict with evidence, and a fix unless it passes', () => {
    const results = score(GOOD);
    expect(results.map((r) => r.id)).toEqual(CHECK_ITEMS.map(([id]) => id));
    for (const r of results) {
      expect(r.evidence.length, r.id).toBeGreaterThan(0);
      expect(r.fix === undefined, r.id).toBe(r.verdict === 'pass');
    }
  });

  it('[CHK-1] does not pass dependency scanning or access control on a config that sets neither up', () => {
    for (const id of ['sbom-dependency-scanning', 'access-control'] as const)
      expect(item(score(GOOD), id).verdict, id).toBe('warn');
  });

  it('[CHK-1] passes the other ten items on a locked, sandboxed, audited deployment with exact allowlists', () => {
    const verdicts = Object.fromEntries(score(GOOD).map((r) => [r.id, r.verdict]));
    expect(verdicts).toMatchObject({
      allowlisting: 'pass',
      'signature-verification': 'pass',
      sandboxing: 'pass',
      'resource-limits': 'pass',
      'credential-scoping': 'pass',
      'network-isolation': 'pass',
      'output-validation': 'pass',
      'audit-logging': 'pass',
      'update-policy': 'pass',
      'red-team-testing': 'pass',
    });
  });
});

describe('when allowlists are scored', () => {
  it('[CHK-2] fails a "*" allowlist and names the server and kind', () => {
    const r = item(score(withEcho({ prompts: ['*'] })), 'allowlisting');
    expect(r.verdict).toBe('fail');
    expect(r.evidence.join('\n')).toContain('servers.echo.prompts: ["*"]');
    expect(r.fix).toContain('servers.echo.prompts: [');
  });
});

describe('when sandboxing, limits and network are scored', () => {
  it('[CHK-3] fails sandboxing, resource limits and network isolation for sandbox: false', () => {
    const results = score(withEcho({ sandbox: false }));
    for (const id of ['sandboxing', 'resource-limits', 'network-isolation'] as const)
      expect(item(results, id).verdict, id).toBe('fail');
    expect(item(results, 'sandboxing').evidence.join('\n')).toContain('sandbox: false');
  });

  it("[CHK-3] fails a sandboxed server on a host where bubblewrap cannot build the sandbox, with the probe's fix", () => {
    const reason =
      'bubblewrap cannot create user namespaces here: enable unprivileged user namespaces';
    const r = item(
      score(GOOD, { environment: { ...ENV_OK, sandbox: { ok: false, reason } } }),
      'sandboxing',
    );
    expect(r).toMatchObject({ verdict: 'fail', fix: reason });
  });

  it('[CHK-3] warns on seccomp off, egress to private addresses and generous message limits', () => {
    expect(item(score(withEcho({ sandbox: { seccomp: false } })), 'sandboxing').verdict).toBe(
      'warn',
    );
    const net = item(
      score(
        withEcho({
          egress: { allow: ['intranet.example.com'], allowPrivate: ['intranet.example.com'] },
        }),
      ),
      'network-isolation',
    );
    expect(net).toMatchObject({
      verdict: 'warn',
      fix: expect.stringContaining('servers.echo.egress.allowPrivate: []'),
    });
    expect(
      item(score(withEcho({ limits: { maxMessageBytes: 64 * 1024 * 1024 } })), 'resource-limits')
        .verdict,
    ).toBe('warn');
  });

  it('[CHK-3] warns on a remote server toolgate cannot sandbox, and on plain HTTP to a remote host', () => {
    const results = score(
      { ...GOOD, servers: { far: { url: 'http://mcp.example.com/mcp', tools: ['a'] } } },
      { lock: lockOf({ far: { kind: 'remote', url: 'http://mcp.example.com/mcp' } }) },
    );
    expect(item(results, 'sandboxing').verdict).toBe('warn');
    expect(item(results, 'network-isolation')).toMatchObject({
      verdict: 'warn',
      fix: 'servers.far.url: https://mcp.example.com/mcp',
    });
  });
});

describe('when the audit log is scored', () => {
  it('[CHK-4] fails audit: false', () => {
    const { audit: _, ...rest } = GOOD;
    const { audit: __, ...noAuditEnv } = ENV_OK;
    expect(
      item(score({ ...rest, audit: false }, { environment: noAuditEnv }), 'audit-logging').verdict,
    ).toBe('fail');
  });

  it('[CHK-4] fails a signing key others can read, with the chmod that fixes it', () => {
    const environment = {
      ...ENV_OK,
      audit: {
        keyFile: { path: '/srv/tg/k', mode: 0o644 },
        store: { path: '/srv/tg/l', writable: true },
      },
    };
    expect(item(score(GOOD, { environment }), 'audit-logging')).toMatchObject({
      verdict: 'fail',
      fix: 'chmod 600 /srv/tg/k',
    });
  });

  it('[CHK-4] fails a log the gateway could not write, and warns without a witness', () => {
    const environment = {
      ...ENV_OK,
      audit: {
        keyFile: { path: '/srv/tg/k', mode: undefined },
        store: { path: '/nope/l', writable: false, reason: '/nope does not exist' },
      },
    };
    expect(item(score(GOOD, { environment }), 'audit-logging').verdict).toBe('fail');
    expect(item(score({ servers: GOOD.servers }), 'audit-logging')).toMatchObject({
      verdict: 'warn',
      fix: expect.stringContaining('witnessFile'),
    });
  });
});
