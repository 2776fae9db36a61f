import { describe, expect, it } from 'vitest';
import { GOOD, item, score } from '../../test/fixtures/check-input.js';

const access = (top: Record<string, unknown>, labels: Record<string, string[]> = {}) =>
  item(
    score({ ...GOOD, ...top, servers: { echo: { ...GOOD.servers.echo, labels } } }),
    'access-control',
  );

const STRICT = {
  auth: { apiKeys: [{ id: 'ci-bot', sha256: 'a'.repeat(64) }] },
  agents: { 'ci-bot': { groups: ['readers'] } },
  policy: { files: ['toolgate.cedar'] },
  rateLimits: { perAgent: { capacity: 60, refillPerSecond: 1 } },
};

describe('when access control is scored', () => {
  it('[CHK-10] passes with auth, agents, a Cedar policy, labelled tools under the flow rules and rate limits', () => {
    const r = access(STRICT, { echo: ['sink'] });
    expect(r.verdict, r.evidence.join('\n')).toBe('pass');
    expect(r.evidence.join('\n')).toContain('1 API key(s)');
    expect(r.evidence.join('\n')).toContain('policy: toolgate.cedar');
    expect(r.evidence.join('\n')).toContain('agents: 1 (ci-bot)');
  });

  it('[CHK-10] warns, with the config to add, for each missing piece', () => {
    const cases: Array<[Record<string, unknown>, Record<string, string[]>, string]> = [
      [{ ...STRICT, auth: undefined }, { echo: ['sink'] }, 'auth: { apiKeys'],
      [{ ...STRICT, policy: undefined }, { echo: ['sink'] }, 'policy: { files: [toolgate.cedar] }'],
      [{ ...STRICT, rateLimits: {} }, { echo: ['sink'] }, 'rateLimits: { perAgent'],
      [STRICT, {}, 'flows: { inferLabels: true }'],
      [
        { ...STRICT, flows: { privateValueInSink: 'off' } },
        { echo: ['sink'] },
        'privateValueInSink: ask',
      ],
    ];
    for (const [top, labels, fix] of cases) {
      const r = access(top, labels);
      expect(r.verdict, fix).toBe('warn');
      expect(r.fix, fix).toContain(fix);
    }
    expect(access({ ...STRICT, flows: { inferLabels: true } }).verdict).toBe('pass');
  });

  it('[CHK-10] fails an HTTP front open to other hosts without auth', () => {
    const r = access({ ...STRICT, auth: undefined, http: { allowedHosts: ['tg.example.com'] } });
    expect(r.verdict).toBe('fail');
    expect(r.evidence.join('\n')).toContain('tg.example.com');
    expect(r.fix).toContain('auth: { jwt:');
  });
});
