import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNpmrc, readNpmSettings, registryFor } from './npmrc.js';

describe('when npm settings are read', () => {
  it('parses registries, per-registry auth (env expanded), proxies and booleans as npm does', () => {
    const text = [
      '; comment',
      '# comment',
      'registry = https://mirror.example/',
      '@corp:registry=https://corp.example/',
      '//corp.example/:_authToken=${CORP_TOKEN}',
      'https-proxy="http://proxy:3128"',
      'strict-ssl=false',
      'not a setting',
    ].join('\n');
    expect(parseNpmrc(text, { CORP_TOKEN: 's3cret' })).toEqual({
      registry: 'https://mirror.example/',
      '@corp:registry': 'https://corp.example/',
      '//corp.example/:_authToken': 's3cret',
      httpsProxy: 'http://proxy:3128',
      strictSSL: false,
    });
  });

  it('reads back any key = value it is given (property)', () => {
    const key = fc.stringMatching(/^[@a-z/:_][a-z0-9@/:._-]{0,20}$/);
    const value = fc.stringMatching(/^[a-zA-Z0-9:/._@-]{1,30}$/);
    fc.assert(
      fc.property(fc.dictionary(key, value), (settings) => {
        const text = Object.entries(settings)
          .map(([k, v]) => `${k}=${v}`)
          .join('\n');
        const parsed = parseNpmrc(text, {});
        for (const [k, v] of Object.entries(settings)) {
          const expected = v === 'true' ? true : v === 'false' ? false : v;
          const name =
            {
              'https-proxy': 'httpsProxy',
              noproxy: 'noProxy',
              'strict-ssl': 'strictSSL',
              'fetch-retries': 'fetchRetries',
              'fetch-timeout': 'timeout',
            }[k] ?? k;
          expect(parsed[name]).toEqual(expected);
        }
      }),
    );
  });

  it('layers the user file, the project file, npm_config_* and lock.registry, later winning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-npmrc-'));
    writeFileSync(join(dir, 'user.npmrc'), 'registry=https://user/\nproxy=http://p/\n');
    writeFileSync(join(dir, '.npmrc'), 'registry=https://project/\n');
    const env = { npm_config_userconfig: join(dir, 'user.npmrc'), HOME: dir };
    expect(await readNpmSettings(dir, undefined, env)).toMatchObject({
      registry: 'https://project/',
      proxy: 'http://p/',
      cache: join(dir, '.npm/_cacache'),
    });
    expect(
      await readNpmSettings(dir, 'https://locked/', { ...env, npm_config_cache: '/c' }),
    ).toMatchObject({ registry: 'https://locked/', cache: '/c/_cacache' });
  });

  it('names the registry npm fetches a package from: its scope, else registry, else the public one', () => {
    const settings = { registry: 'https://mirror.example/', '@corp:registry': 'https://corp/' };
    expect(registryFor(settings, '@corp/tool')).toBe('https://corp/');
    expect(registryFor(settings, '@other/tool')).toBe('https://mirror.example/');
    expect(registryFor(settings, 'plain')).toBe('https://mirror.example/');
    expect(registryFor({}, 'plain')).toBe('https://registry.npmjs.org');
    expect(registryFor({ registry: '' }, '@corp/tool')).toBe('https://registry.npmjs.org');
  });
});
