import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runToolgate, startStdioGateway, type Running } from './harness.js';
import {
  NAME,
  packRelease,
  startNpmRegistry,
  type NpmRegistry,
  type Tarball,
} from './npm-registry-rig.js';

/**
 * PKG-14 end to end: an npx server locked from a registry that later serves another tarball for the
 * same `name@version` (a republish on a private registry, a tampered mirror). The registry is a
 * loopback one, named the way users name theirs: `registry=` in the `.npmrc` beside the config, private
 * (a token from the environment, or 401), so every lookup and install must carry npm's auth; it has
 * no attestations, as this machine's mirror has none, so the package locks without provenance.
 */

const TOKEN = 'tg-test-registry-token';

interface NpmLockEntry {
  package: { kind: string; name: string; version: string; integrity: string };
}

let gw: Running | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('an npm release republished with another tarball', () => {
  let registry: NpmRegistry;
  let first: Tarball;
  let second: Tarball;
  // The store and state folders where the sandbox's own uid may pass (0755).
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-republish-'));
  chmodSync(dir, 0o755);
  const clone = join(dir, 'clone');
  const store = join(dir, 'store');
  const config = join(clone, 'toolgate.yaml');
  const lockPath = join(clone, 'toolgate.lock');
  const env = {
    XDG_STATE_HOME: join(dir, 'state'),
    // The test's own npm cache and no user .npmrc: only the project's .npmrc names the registry.
    npm_config_cache: join(dir, 'npm-cache'),
    npm_config_userconfig: join(dir, 'no-user.npmrc'),
    // A private registry's token, as users keep it: in the environment, named by the .npmrc.
    TG_REGISTRY_TOKEN: TOKEN,
  };
  const toolgate = (args: string[]) =>
    runToolgate([...args, '--config', config], { cwd: clone, env, timeoutMs: 300_000 });
  const lockOf = () =>
    JSON.parse(readFileSync(lockPath, 'utf8')) as { servers: Record<string, NpmLockEntry> };
  const entries = () => readdirSync(store).filter((name) => name.startsWith(`${NAME}@`));
  const answer = async () => {
    gw = await startStdioGateway({}, { lock: { dir: clone }, env });
    const names = (await gw.client.listTools()).tools.map((t) => t.name);
    expect(names, gw.stderr.join('\n')).toEqual(['tiny__release']);
    const result = await gw.client.callTool({ name: 'tiny__release', arguments: { text: 'hi' } });
    await gw.close();
    gw = undefined;
    return JSON.stringify(result.content);
  };
  const tarballRequests = () => registry.requests.filter((p) => p.endsWith('.tgz')).length;

  beforeAll(async () => {
    first = packRelease('first build');
    second = packRelease('republished build');
    registry = await startNpmRegistry(first, TOKEN);
    mkdirSync(clone);
    const nerfDart = registry.url.replace(/^https?:/, '');
    writeFileSync(
      join(clone, '.npmrc'),
      `registry=${registry.url}\n${nerfDart}:_authToken=\${TG_REGISTRY_TOKEN}\n`,
    );
    writeFileSync(
      config,
      JSON.stringify({
        lock: { store },
        audit: false,
        servers: { tiny: { command: 'npx', args: ['-y', `${NAME}@1.0.0`], tools: ['release'] } },
      }),
    );
  });
  afterAll(async () => {
    await registry.close();
  });

  it('[PKG-14] locks the release from the .npmrc registry (no attestations) and runs it from the store', async () => {
    expect(first.integrity).not.toBe(second.integrity);
    const locked = await toolgate(['lock']);
    expect(locked.code, locked.stderr).toBe(0);
    expect(locked.stderr).toContain(`${NAME}@1.0.0 (no provenance on the registry)`);
    expect(lockOf().servers['tiny']?.package).toMatchObject({
      kind: 'npm',
      name: NAME,
      version: '1.0.0',
      integrity: first.integrity,
      launcher: 'store',
    });
    expect(registry.requests).toContain(`/-/npm/v1/attestations/${NAME}@1.0.0`);
    expect(registry.refused).toEqual([]); // every lookup and install carried the token
    expect(entries()).toHaveLength(1);
    expect(await answer()).toContain('first build: hi');
  });

  it('[PKG-14] a re-lock that finds another tarball for 1.0.0 is refused before anything is fetched or installed; run keeps the pinned copy', async () => {
    const lockBefore = readFileSync(lockPath);
    const storeBefore = readdirSync(store);
    const fetched = tarballRequests();
    registry.served = second;
    const locked = await toolgate(['lock']);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(/tiny +FAILED +PACKAGE_TAMPERED/);
    expect(locked.stderr).toContain(
      `the registry now serves ${NAME}@1.0.0 with integrity ${second.integrity}, but toolgate.lock pinned ${first.integrity}`,
    );
    expect(locked.stderr).toContain('a rug pull or a republish');
    expect(locked.stderr).toContain(`toolgate approve --config <config> tiny`);
    // The lock byte for byte, the store as it was, the new tarball never even downloaded.
    expect(readFileSync(lockPath).equals(lockBefore)).toBe(true);
    expect(readdirSync(store)).toEqual(storeBefore);
    expect(tarballRequests()).toBe(fetched);
    // A partial re-lock of that server alone is refused the same way.
    const one = await toolgate(['lock', 'tiny']);
    expect(one.code).toBe(1);
    expect(one.stderr).toContain('PACKAGE_TAMPERED');
    expect(readFileSync(lockPath).equals(lockBefore)).toBe(true);

    expect(await answer()).toContain('first build: hi');
  });

  it('[PKG-14] approve takes the republished tarball after review; run then serves the new code', async () => {
    const approved = await toolgate(['approve', 'tiny']);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stderr).toContain('approved server tiny');
    expect(lockOf().servers['tiny']?.package.integrity).toBe(second.integrity);
    expect(entries()).toHaveLength(2); // a new content-addressed entry beside the old one
    expect(await answer()).toContain('republished build: hi');
    // And a re-lock now finds what the lock pins.
    const again = await toolgate(['lock']);
    expect(again.code, again.stderr).toBe(0);
  });
});
