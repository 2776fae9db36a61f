import { describe, expect, it } from 'vitest';
import { SecretRegistry } from './registry.js';
import { createSecretScanner } from './scan.js';

const secret = 'correct-horse-battery-9137';
const scanner = createSecretScanner([secret]);

describe('when scanning for configured secrets [SEC-1]', () => {
  it('finds the value and its base64, base64url, hex and percent-encoded forms', () => {
    for (const form of [
      secret,
      Buffer.from(secret).toString('base64'),
      Buffer.from(secret).toString('base64url'),
      Buffer.from(secret).toString('hex'),
      encodeURIComponent(`${secret} x`),
    ])
      expect(scanner.scan(`prefix ${form} suffix`).length, form).toBeGreaterThan(0);
  });
  it('[CNT-5] finds its base64 at every alignment (after a 1- or 2-byte prefix, before any suffix) and its upper-case hex', () => {
    for (const form of [`x${secret}`, `xy${secret}`, `${secret}z`]
      .flatMap((t) => [Buffer.from(t).toString('base64'), Buffer.from(t).toString('base64url')])
      .concat(Buffer.from(secret).toString('hex').toUpperCase()))
      expect(scanner.scan(`prefix ${form} suffix`).length, form).toBeGreaterThan(0);
  });
  it('redacts every occurrence', () => {
    expect(scanner.redact(`a ${secret} b ${secret}`)).toEqual({
      text: 'a [REDACTED:configured-secret] b [REDACTED:configured-secret]',
      rules: ['configured-secret'],
    });
  });
});

describe('when server credentials become known after the scanner was built', () => {
  it('[CRED-4] catches values a server resolved later, and keeps a rotated-away value', () => {
    const registry = new SecretRegistry();
    const live = createSecretScanner(registry, false);
    expect(live.scan(`x ${secret}`)).toEqual([]);
    registry.add('web', [secret]);
    expect(live.redact(`x ${secret}`).text).toBe('x [REDACTED:configured-secret]');
    registry.add('web', ['rotated-value-0042']);
    expect(live.scan(`${secret} rotated-value-0042`)).toHaveLength(2);
    // Too short to redact without garbling ordinary text.
    registry.add('web', ['abc']);
    expect(live.scan('abc abc')).toEqual([]);
  });
});

describe('when scanning for credential formats [SEC-3]', () => {
  const formats = createSecretScanner([]);
  // Synthetic values in the documented shapes; none is a real credential.
  const cases: Record<string, string> = {
    'aws-access-key': 'AKIA' + 'Q7RZ2MPLX4TB9KWD',
    'github-token': 'ghp_' + 'Zx9'.repeat(12),
    'slack-token': 'xoxb-' + '2048-1024-Qw3rTy8uIoPz',
    'private-key':
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----',
    jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlLXZhbHVl',
  };
  it.each(Object.entries(cases))('redacts %s', (rule, value) => {
    expect(formats.redact(`token: ${value} end`)).toMatchObject({ rules: [rule] });
  });
  it('leaves documentation placeholders, UUIDs and prose alone', () => {
    for (const t of [
      'AKIAIOSFODNN7EXAMPLE',
      '3f2b8c1e-9d4a-4b6e-8f21-0c7d5e9a1b34',
      'rotate your GitHub token every 90 days',
      'sk-short',
    ])
      expect(formats.scan(t), t).toEqual([]);
  });
});
