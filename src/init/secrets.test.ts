import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyValue, envNameFor, envRefOf, isSecretFlag } from './secrets.js';

describe('when a client config value references the client environment', () => {
  it.each([
    ['${GITHUB_TOKEN}', 'GITHUB_TOKEN'],
    ['${env:API_KEY}', 'API_KEY'],
    ['${HOME_DIR:-/tmp}', 'HOME_DIR'],
    ['$TOKEN', 'TOKEN'],
  ])('reads %s as the variable %s', (value, name) => expect(envRefOf(value)).toBe(name));

  it.each(['prefix ${TOKEN}', '${input:token}', '$1X', 'plain'])(
    'reads %s as no whole-value reference',
    (value) => expect(envRefOf(value)).toBeUndefined(),
  );
});

describe('when a value is classified', () => {
  it('[INIT-2] carries a reference, an input prompt, a credential or a credential name as a secret', () => {
    expect(classifyValue('X', '${env:GH}', false)).toMatchObject({ kind: 'secret', ref: 'GH' });
    expect(classifyValue('X', 'Bearer ${input:token}', false)).toMatchObject({
      kind: 'secret',
      ref: undefined,
    });
    expect(classifyValue('X', `ghp_${'a1B2c3D4e5'.repeat(3)}abcdef`, false)).toMatchObject({
      kind: 'secret',
      why: 'held a credential',
    });
    expect(classifyValue('DB_PASSWORD', 'hunter2', false)).toMatchObject({ kind: 'secret' });
    expect(classifyValue('X-Api-Key', 'k', true)).toMatchObject({ kind: 'secret' });
  });

  it('keeps an ordinary value in clear', () => {
    expect(classifyValue('LOG_LEVEL', 'debug', false)).toEqual({ kind: 'plain' });
    expect(classifyValue('Accept', 'application/json', true)).toEqual({ kind: 'plain' });
  });

  it('[INIT-2] never carries the value itself in what it returns', () =>
    fc.assert(
      fc.property(fc.string({ minLength: 8 }), fc.string(), (value, name) => {
        expect(JSON.stringify(classifyValue(name, value, false))).not.toContain(
          JSON.stringify(value).slice(1, -1),
        );
      }),
    ));

  it.each(['--api-key', '-token', '--github-auth', '--Password'])(
    'takes %s for a secret flag',
    (flag) => expect(isSecretFlag(flag)).toBe(true),
  );
  it.each(['--port', '--dir', 'token', '--keyboard'])('takes %s for an ordinary one', (flag) =>
    expect(isSecretFlag(flag)).toBe(false),
  );
});

describe('when secrets get variable names', () => {
  it('prefixes the server id once, and upper-cases both', () => {
    const taken = new Set<string>();
    expect(envNameFor('github', 'token', taken)).toBe('GITHUB_TOKEN');
    expect(envNameFor('github', 'GITHUB_TOKEN', taken)).toBe('GITHUB_TOKEN_2');
    expect(envNameFor('my-db', 'pass.word', taken)).toBe('MY_DB_PASS_WORD');
    expect(envNameFor('9s', 'x', taken)).toBe('_9S_X');
  });

  it('[INIT-2] always gives a valid, unused variable name', () =>
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 20 }), (pairs) => {
        const taken = new Set<string>();
        const names = pairs.map(([server, name]) => envNameFor(server, name, taken));
        for (const n of names) expect(n).toMatch(/^[A-Z_][A-Z0-9_]*$/);
        expect(new Set(names).size).toBe(names.length);
      }),
    ));
});
