import { describe, expect, it } from 'vitest';
import { fail, pass, toResult, warn } from './findings.js';
import { summarize, toJson, toTable } from './format.js';

describe('when findings make a verdict', () => {
  it('passes with no findings, and shows no fix', () => {
    expect(toResult('allowlisting', 'Allowlisting', [])).toEqual({
      id: 'allowlisting',
      title: 'Allowlisting',
      verdict: 'pass',
      evidence: [],
    });
  });

  it('lets the worst finding decide, and shows only the fixes at that level, once each', () => {
    const result = toResult('allowlisting', 'Allowlisting', [
      pass('a: tools listed'),
      warn('b: prompts ["*"]', 'list prompts'),
      fail('c: tools ["*"]', 'list tools'),
      fail('d: tools ["*"]', 'list tools'),
    ]);
    expect(result).toMatchObject({ verdict: 'fail', fix: 'list tools' });
    expect(result.evidence).toHaveLength(4);
  });

  it('joins distinct fixes of one level on separate lines', () => {
    const result = toResult('allowlisting', 'Allowlisting', [
      warn('a', 'fix a'),
      warn('b', 'fix b'),
    ]);
    expect(result).toMatchObject({ verdict: 'warn', fix: 'fix a\nfix b' });
  });
});

describe('when a report is printed', () => {
  const results = [
    toResult('allowlisting', 'Allowlisting', [pass('every list explicit')]),
    toResult('sandboxing', 'Sandboxing', [
      fail('s: sandbox false', 'remove sandbox: false\nrerun'),
    ]),
    toResult('audit-logging', 'Audit logging', [warn('key readable', 'chmod 600')]),
  ];

  it('counts the verdicts', () =>
    expect(summarize(results)).toEqual({ pass: 1, warn: 1, fail: 1 }));

  it('prints one block per item with its evidence and fix, then the summary', () => {
    expect(toTable(results).split('\n')).toEqual([
      ' 1. Allowlisting   PASS',
      '      - every list explicit',
      ' 2. Sandboxing     FAIL',
      '      - s: sandbox false',
      '      fix: remove sandbox: false',
      '           rerun',
      ' 3. Audit logging  WARN',
      '      - key readable',
      '      fix: chmod 600',
      '',
      '1 pass, 1 warn, 1 fail',
    ]);
  });

  it('[CHK-6] prints JSON with stable field names', () => {
    expect(JSON.parse(toJson(results, '/etc/toolgate.yaml'))).toEqual({
      config: '/etc/toolgate.yaml',
      summary: { pass: 1, warn: 1, fail: 1 },
      items: results,
    });
  });
});
