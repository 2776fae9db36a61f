import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runToolgate } from './harness.js';
import { NAME, packRelease, startNpmRegistry, type NpmRegistry } from './npm-registry-rig.js';

/**
 * PKG-17: a registry package whose dependency is not a registry package. Its author (or whoever
 * took over the package) names a local path, which npm links into the store entry as a symlink out
 * of it, or a git repository, whose `prepare` script npm would run to build it. `toolgate lock`
 * must refuse the tree before anything is installed, run nothing, and write no lock.
 */

let registry: NpmRegistry | undefined;
afterEach(async () => {
  await registry?.close();
  registry = undefined;
});

const lockWith = async (dependencies: Record<string, string>, dir: string) => {
  const clone = join(dir, 'clone');
  mkdirSync(clone);
  registry = await startNpmRegistry(packRelease('first build', dependencies));
  writeFileSync(join(clone, '.npmrc'), `registry=${registry.url}\n`);
  const servers = { tiny: { command: 'npx', args: ['-y', `${NAME}@1.0.0`], tools: ['release'] } };
  const config = join(clone, 'toolgate.yaml');
  const store = join(dir, 'store');
  writeFileSync(config, JSON.stringify({ lock: { store }, audit: false, servers }));
  const env = {
    npm_config_cache: join(dir, 'npm-cache'),
    npm_config_userconfig: join(dir, 'no-user.npmrc'),
    XDG_STATE_HOME: join(dir, 'state'),
  };
  const locked = await runToolgate(['lock', '--config', config], {
    cwd: clone,
    env,
    timeoutMs: 300_000,
  });
  const entries = existsSync(store) ? readdirSync(store).filter((n) => n.startsWith(NAME)) : [];
  return { ...locked, entries, lockWritten: existsSync(join(clone, 'toolgate.lock')) };
};

const place = () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-sources-'));
  chmodSync(dir, 0o755);
  return dir;
};

describe('[PKG-17] lock refuses an npm tree with a dependency from outside the registry', () => {
  it('[PKG-17] a file: dependency (a symlink out of the store entry) is refused; nothing installed, no lock', async () => {
    const dir = place();
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'package.json'), '{"name":"outside","version":"1.0.0"}');
    writeFileSync(join(outside, 'index.js'), 'module.exports = "unhashed code";\n');
    const locked = await lockWith({ outside: `file:${outside}` }, dir);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(/tiny +FAILED +PACKAGE_SOURCE_REFUSED/);
    expect(locked.stderr).toContain(`outside@file:${outside} (required by ${NAME})`);
    expect(locked.entries).toEqual([]);
    expect(locked.lockWritten).toBe(false);
  });

  it('[PKG-17] a git dependency is refused and its prepare script never runs', async () => {
    const dir = place();
    const repo = join(dir, 'repo');
    const ran = join(dir, 'prepare-ran');
    mkdirSync(repo);
    const prepare = `node -e "require('fs').writeFileSync('${ran}', 'ran')"`;
    const manifest = { name: 'gitdep', version: '1.0.0', scripts: { prepare } };
    writeFileSync(join(repo, 'package.json'), JSON.stringify(manifest));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'ignore' });
    git('init', '-q');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'dep');
    const locked = await lockWith({ gitdep: `git+file://${repo}` }, dir);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(/tiny +FAILED +PACKAGE_SOURCE_REFUSED/);
    expect(locked.stderr).toContain(`gitdep@git+file://${repo}`);
    expect(existsSync(ran)).toBe(false);
    expect(locked.entries).toEqual([]);
    expect(locked.lockWritten).toBe(false);
  });
});
