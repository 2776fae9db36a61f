import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { Lock, LockPackage } from '../pins/lock.js';
import { scoreDeployment } from './score.js';
import {
  CHECK_ITEMS,
  type CheckInput,
  type CheckItemId,
  type EnvironmentProbe,
  type LockState,
} from './types.js';

const ENV_OK: EnvironmentProbe = {
  sandbox: { ok: true, bwrap: '/usr/bin/bwrap' },
  audit: {
    keyFile: { path: '/srv/tg/toolgate-audit.key', mode: 0o600 },
    store: { path: '/srv/tg/toolgate-audit.jsonl', writable: true },
  },
};

const SCRIPT: LockPackage = {
  kind: 'file',
  role: 'script',
  path: '/srv/echo.js',
  sha256: 'a'.repeat(64),
};
const INIT = { sha256: 'b'.repeat(64), serverInfo: {}, capabilities: {} };
const lockOf = (servers: Record<string, LockPackage>): LockState => ({
  kind: 'present',
  path: '/srv/tg/toolgate.lock',
  lock: {
    lockfileVersion: 1,
    servers: Object.fromEntries(
      Object.entries(servers).map(([id, pkg]) => [
        id,
        {
          package: pkg,
          initialize: INIT,
          tools: {},
          prompts: {},
          resources: {},
          resourceTemplates: {},
        },
      ]),
    ),
  } satisfies Lock,
});

const GOOD = {
  audit: { witnessFile: '/mnt/witness/tg.txt' },
  servers: { echo: { command: 'node', args: ['/srv/echo.js'], tools: ['echo'] } },
};

const score = (doc: unknown, over: Partial<Omit<CheckInput, 'config'>> = {}) =>
  scoreDeployment({
    config: parseConfig(doc),
    configPath: '/srv/tg/toolgate.yaml',
    lock: lockOf({ echo: SCRIPT }),
    environment: ENV_OK,
    ...over,
  });
const item = (results: ReturnType<typeof score>, id: CheckItemId) => {
  const found = results.find((r) => r.id === id);
  if (!found) throw new Error(`no ${id}`);
  return found;
};
const withEcho = (extra: Record<string, unknown>, top: Record<string, unknown> = {}) => ({
  ...GOOD,
  ...top,
  servers: { echo: { ...GOOD.servers.echo, ...extra } },
});

describe('when a deployment is scored', () => {
  it('[CHK-1] gives every one of the 12 items one verdict with evidence, and a fix unless it passes', () => {
    const results = score(GOOD);
    expect(results.map((r) => r.id)).toEqual(CHECK_ITEMS.map(([id]) => id));
    for (const r of results) {
      expect(r.evidence.length, r.id).toBeGreaterThan(0);
      expect(r.fix === undefined, r.id).toBe(r.verdict === 'pass');
    }
  });

  it('[CHK-1] never passes what toolgate does not provide yet: SBOM scanning, access control, red-team', () => {
    for (const id of ['sbom-dependency-scanning', 'access-control', 'red-team-testing'] as const) {
      const r = item(score(GOOD), id);
      expect(r.verdict, id).toBe('warn');
      expect(r.evidence.join('\n'), id).toContain('not available in this version');
    }
  });

  it('[CHK-1] passes the other nine items on a locked, sandboxed, audited deployment with exact allowlists', () => {
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
