import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serveBulk, type BulkServer } from '../../test/fixtures/npm-bulk/serve.js';
import { fetchBulkAdvisories, matchBulk } from './npm-advisories.js';
import { readNpmSettings, registryFor } from '../packages/npmrc.js';

let server: BulkServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A loopback port nothing listens on (bound, then released). */
const closedPort = async (): Promise<number> => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
};

describe("the registry's bulk advisory endpoint", () => {
  it('[SBOM-5] posts {name: [versions]} and matches each version against vulnerable_versions', async () => {
    server = await serveBulk();
    const bulk = await fetchBulkAdvisories(
      server.url,
      new Map([
        ['dep-a', ['1.4.0', '1.4.1']],
        ['@scope/dep-b', ['2.0.0']],
      ]),
    );
    expect(server.requests).toEqual([
      {
        method: 'POST',
        path: '/-/npm/v1/security/advisories/bulk',
        body: { 'dep-a': ['1.4.0', '1.4.1'], '@scope/dep-b': ['2.0.0'] },
      },
    ]);
    expect(matchBulk(bulk, 'dep-a', '1.4.0')).toEqual([
      {
        id: 'GHSA-aaaa-bbbb-cccc',
        aliases: ['npm-1100001'],
        summary: 'Prototype pollution in dep-a (test fixture)',
        severity: 'high',
        fixed: [],
      },
    ]);
    expect(matchBulk(bulk, 'dep-a', '1.4.1')).toEqual([]);
    expect(matchBulk(bulk, '@scope/dep-b', '2.0.0')).toMatchObject([{ severity: 'medium' }]);
    expect(matchBulk(bulk, 'dep-c', '1.0.0')).toEqual([]);
  });

  it('[SBOM-5] refuses an unreachable registry, an error status and an answer in another format', async () => {
    const port = await closedPort();
    await expect(
      fetchBulkAdvisories(`http://127.0.0.1:${port}`, new Map([['a', ['1.0.0']]])),
    ).rejects.toMatchObject({ code: 'SBOM_REGISTRY_UNREACHABLE' });
    server = await serveBulk({ status: 503, body: 'maintenance' });
    await expect(fetchBulkAdvisories(server.url, new Map())).rejects.toMatchObject({
      code: 'SBOM_REGISTRY_INVALID',
      message: expect.stringContaining('HTTP 503') as unknown,
    });
    await server.close();
    server = await serveBulk({ status: 200, body: '{"a": {"not": "a list"}}' });
    await expect(fetchBulkAdvisories(server.url, new Map())).rejects.toMatchObject({
      code: 'SBOM_REGISTRY_INVALID',
    });
  });

  it('[SBOM-5] asks the registry npm is configured with: environment, then project .npmrc, then user config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-npmrc-'));
    const user = join(dir, 'user-npmrc');
    writeFileSync(user, 'registry=https://user.example/\n');
    const env = { npm_config_userconfig: user, HOME: dir };
    const registry = async (e: Record<string, string>, lockRegistry?: string) =>
      registryFor(await readNpmSettings(dir, lockRegistry, e), 'dep-a');
    expect(await registry(env)).toBe('https://user.example/');
    writeFileSync(join(dir, '.npmrc'), 'registry=https://project.example/\n');
    expect(await registry(env)).toBe('https://project.example/');
    expect(await registry({ ...env, npm_config_registry: 'https://env.example/' })).toBe(
      'https://env.example/',
    );
    expect(await registry(env, 'https://lock.example/')).toBe('https://lock.example/');
    const none = join(dir, 'none');
    expect(registryFor(await readNpmSettings(none, undefined, { HOME: none }), 'a')).toBe(
      'https://registry.npmjs.org',
    );
  });

  it('[SBOM-5] sends the registry token of .npmrc with the bulk request', async () => {
    server = await serveBulk({ status: 200, body: '{}' });
    const nerfDart = server.url.replace(/^https?:/, '').replace(/\/*$/, '/');
    await fetchBulkAdvisories(server.url, new Map([['a', ['1.0.0']]]), {
      [`${nerfDart}:_authToken`]: 'tg-bulk-token',
    });
    expect(server.requests.map((r) => r.authorization)).toEqual(['Bearer tg-bulk-token']);
  });
});
