import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildSeccompFilter, DENIED_SYSCALLS, hostSeccompArch } from './seccomp.js';

/** Runs `argv` under bwrap with the filter on fd 3 (as the gateway does); resolves to exit code and output. */
const underFilter = (argv: string[]) =>
  new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const arch = hostSeccompArch();
    if (!arch)
      throw new Error(`no seccomp filter for ${process.arch}: only x64 and arm64 are supported`);
    const child = spawn(
      'bwrap',
      ['--ro-bind', '/', '/', '--dev', '/dev', '--seccomp', '3', '--', ...argv],
      { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
    );
    (child.stdio[3] as Writable).end(buildSeccompFilter(arch));
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });

describe('when the seccomp filter is loaded', () => {
  it('[SBX-10] is a well-formed program for both architectures', () => {
    for (const arch of ['x64', 'arm64'] as const)
      expect(buildSeccompFilter(arch).length % 8).toBe(0);
    expect(DENIED_SYSCALLS).toEqual(
      expect.arrayContaining([
        'ptrace',
        'mount',
        'bpf',
        'unshare',
        'setns',
        'keyctl',
        'init_module',
      ]),
    );
  });

  it('[SBX-10] denies namespace and mount syscalls with EPERM, for real under bwrap', async () => {
    const unshare = await underFilter(['/usr/bin/unshare', '--user', '/usr/bin/true']);
    expect(unshare.code).not.toBe(0);
    expect(unshare.output).toMatch(/Operation not permitted/);
    const status = await underFilter([
      '/usr/bin/node',
      '-e',
      "try { require('fs').readFileSync('/proc/self/status'); process.stdout.write(require('fs').readFileSync('/proc/self/status','utf8').match(/Seccomp:\\s*(\\d)/)[1]) } catch (e) { process.stdout.write('x') }",
    ]);
    expect(status.output).toBe('2');
  });

  it('[SBX-10] still lets ordinary programs run (node starts and spawns a child)', async () => {
    const ok = await underFilter([
      '/usr/bin/node',
      '-e',
      "require('child_process').execFileSync('/usr/bin/true'); process.stdout.write('ok')",
    ]);
    expect(ok).toMatchObject({ code: 0, output: 'ok' });
  });
});
