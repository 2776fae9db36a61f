import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { built, ROOT } from './harness.js';

/** Runs the built demo to completion: exit code, stdout, stderr. */
const demo = (script: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env) => {
  const result = spawnSync(process.execPath, [script, ...args], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};

/** A copy of the built demo in a fresh `mktemp -d`-style folder (mode 0700), as a clone there would be. */
const demoInPrivateFolder = () => {
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-demo-'));
  chmodSync(folder, 0o700);
  const clone = join(folder, 'toolgate');
  mkdirSync(join(clone, 'dist/test'), { recursive: true });
  cpSync(join(ROOT, 'dist/test/fixtures'), join(clone, 'dist/test/fixtures'), { recursive: true });
  cpSync(join(ROOT, 'examples'), join(clone, 'examples'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
  return { folder, script: join(clone, 'dist/test/fixtures/demo.js') };
};

describe('the README demo', () => {
  it('validates examples/demo.yaml', () => {
    const config = parseConfig(parse(readFileSync(join(ROOT, 'examples/demo.yaml'), 'utf8')));
    expect(Object.keys(config.servers)).toEqual(['everything', 'memory', 'files']);
  });

  it('[ALLOW-2] shows allowed calls succeed and denied calls fail', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [built('test/fixtures/demo.ts')],
      { cwd: ROOT },
    );
    expect(stdout).toContain('ALLOWED  everything__echo');
    expect(stdout).toContain('DENIED   everything__get-env → JSON-RPC -32003 POLICY_TOOL_DENIED');
    expect(stdout).toContain('DENIED   files__write_file');
    expect(stdout).not.toContain('UNEXPECTED');
    expect(stdout).toMatch(/audit log: ok: \d+ entries/);
  }, 180_000);
});

describe('when the machine lacks what the demo needs', () => {
  it('stops with one line per distribution when bubblewrap is not installed, no stack trace', () => {
    const emptyPath = mkdtempSync(join(tmpdir(), 'toolgate-no-bwrap-'));
    const result = demo(built('test/fixtures/demo.ts'), [], { ...process.env, PATH: emptyPath });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    for (const install of [
      'apt-get install -y bubblewrap',
      'dnf install -y bubblewrap',
      'pacman -S bubblewrap',
      'apk add bubblewrap',
    ])
      expect(result.stderr).toContain(install);
  });

  it('as root, names the 0700 folder the sandbox user cannot reach, and how to fix it', () => {
    const { folder, script } = demoInPrivateFolder();
    const result = demo(script, ['--preflight']);
    if (process.getuid?.() !== 0) {
      // Without root the sandbox keeps the caller's uid, which reaches its own folder.
      expect(result.stderr).not.toContain(folder);
      return;
    }
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`${folder} is mode 700 (no o+x)`);
    expect(result.stderr).toContain(`chmod o+x ${folder}`);
    expect(result.stderr).not.toMatch(/ECONNRESET|\n\s+at /);
    chmodSync(folder, 0o711);
    expect(demo(script, ['--preflight'])).toMatchObject({ code: 0, stdout: 'preflight ok\n' });
  });
});
