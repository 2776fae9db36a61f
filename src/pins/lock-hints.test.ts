import { describe, expect, it } from 'vitest';
import { toLockHints, type LockFailureEvidence } from './lock-hints.js';

const evidence = (over: Partial<LockFailureEvidence>): LockFailureEvidence => ({
  code: 'LOCK_SERVER_EXITED',
  message: 'server "s" exited (code 1) before it answered initialize',
  stderr: [],
  sandboxed: true,
  writable: [],
  startTimeoutMs: 30_000,
  ...over,
});

const NPX_OFFLINE = [
  'npm error code ENOTFOUND',
  'npm error syscall getaddrinfo',
  'npm error network request to https://registry.npmjs.org/@acme%2fserver failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org',
];

describe('when a lock fails, the hint table', () => {
  it('[LOCK-6] reads a name-resolution failure: the sandbox has no network, so npx (managed), a local path or egress', () => {
    const [hint, ...rest] = toLockHints(evidence({ stderr: NPX_OFFLINE }));
    expect(rest).toEqual([]);
    expect(hint).toContain('could not resolve registry.npmjs.org (ENOTFOUND)');
    expect(hint).toMatch(
      /sandbox has no network.*npx -y name@version.*package store.*local path.*egress\.allow/,
    );
    const bare = toLockHints(
      evidence({ stderr: ['Error: getaddrinfo EAI_AGAIN'], sandboxed: false }),
    );
    expect(bare).toEqual([
      expect.stringMatching(
        /could not resolve a host name \(EAI_AGAIN\): this machine cannot resolve it/,
      ),
    ]);
  });

  it('[LOCK-6] says the registry could not be reached when toolgate itself could not fetch the package', () => {
    const hints = toLockHints(
      evidence({
        code: 'PACKAGE_REGISTRY_ERROR',
        message: 'cannot reach https://r.example/x: getaddrinfo ENOTFOUND r.example',
      }),
    );
    expect(hints).toEqual([expect.stringContaining("the registry's token in .npmrc")]);
  });

  it('[LOCK-6] names the path a sandboxed server may not write, and the setting that fixes it', () => {
    const erofs = ["Error: EROFS: read-only file system, open '/home/app/.cache/x.db'"];
    expect(toLockHints(evidence({ stderr: erofs }))).toEqual([
      'the server writes to /home/app/.cache/x.db, which is read-only in its sandbox: add it (or its folder) to sandbox.writable',
    ]);
    const eacces = ["Error: EACCES: permission denied, open '/srv/data/x'"];
    expect(toLockHints(evidence({ stderr: eacces }))).toEqual([
      expect.stringMatching(/denied \/srv\/data\/x \(EACCES\).*add the path to sandbox\.writable/),
    ]);
    // Already writable in the sandbox: the bind is not the cause, the sandbox user's permission is.
    const bound = toLockHints(evidence({ stderr: eacces, writable: ['/srv/data'] }));
    expect(bound).toEqual([
      expect.stringMatching(/although \/srv\/data is in sandbox\.writable.*chown or chmod/),
    ]);
    expect(toLockHints(evidence({ stderr: eacces, writable: ['/srv/dat'] }))[0]).not.toContain(
      'although',
    );
    expect(toLockHints(evidence({ stderr: eacces, sandboxed: false }))).toEqual([
      expect.stringContaining("check that path's permissions"),
    ]);
  });

  it('[LOCK-6] gives the start timeout it waited for', () => {
    const hints = toLockHints(
      evidence({ code: 'LOCK_SERVER_TIMEOUT', message: 'did not answer', startTimeoutMs: 1500 }),
    );
    expect(hints).toEqual([
      'the server did not answer initialize within 1500 ms: if it needs longer to start, raise restart.startTimeoutMs',
    ]);
  });

  it('[LOCK-6] names a command that was not found, on the host or in the sandbox', () => {
    expect(
      toLockHints(
        evidence({
          code: 'LOCK_SERVER_FAILED',
          message: 'could not be started: spawn mcp-thing ENOENT',
        }),
      ),
    ).toEqual(['the command mcp-thing was not found: give its absolute path, or install it']);
    expect(
      toLockHints(evidence({ code: 'PACKAGE_TAMPERED', message: '"mcp-thing" is not on PATH' })),
    ).toEqual(['the command mcp-thing was not found: give its absolute path, or install it']);
    expect(
      toLockHints(
        evidence({ stderr: ['bwrap: execvp /opt/x/bin/srv: No such file or directory'] }),
      )[0],
    ).toContain('/opt/x/bin/srv was not found inside the sandbox');
  });

  it('[LOCK-6] points at the flag or the reinstall for package and detector refusals', () => {
    expect(toLockHints(evidence({ code: 'LOCK_UNPINNED', message: 'unpinned' }))[0]).toContain(
      '--allow-unpinned',
    );
    const tampered =
      'the copy npx runs (/c/_npx/1/node_modules/x) differs from the registry tarball of x@1.0.0 (sha512-…): not pinned';
    expect(toLockHints(evidence({ code: 'PACKAGE_TAMPERED', message: tampered }))[0]).toContain(
      'reinstall it from the registry',
    );
    expect(toLockHints(evidence({ code: 'LOCK_POISONED', message: 'blocked' }))[0]).toContain(
      '--allow-blocked',
    );
  });

  it('[LOCK-6] claims no cause the evidence does not show', () => {
    // An exit with its reason on stderr: the stderr speaks for itself.
    expect(
      toLockHints(evidence({ stderr: ['Error: boom', '    at main (server.js:1:1)'] })),
    ).toEqual([]);
    // Only a silent exit gets the "run it by hand" hint.
    expect(toLockHints(evidence({}))).toEqual([
      'the server exited without a word on stderr: run its command by hand to see why',
    ]);
    // An errno word without a path, or a path without an errno, is not a write refusal.
    expect(toLockHints(evidence({ stderr: ['EACCES somewhere', "wrote '/tmp/x'"] }))).toEqual([]);
    // A timeout is not a network problem, nor an unrelated code a timeout.
    expect(
      toLockHints(evidence({ code: 'LOCK_SERVER_TIMEOUT', message: 'x', stderr: ['ready'] })),
    ).toHaveLength(1);
    // A tampered file that is not a registry copy (a script, a binary) gets no "reinstall from the registry".
    expect(
      toLockHints(
        evidence({
          code: 'PACKAGE_TAMPERED',
          message: 'the script /srv/s.js differs from the lock',
        }),
      ),
    ).toEqual([]);
    expect(
      toLockHints(
        evidence({
          code: 'SANDBOX_UNAVAILABLE',
          message: 'bwrap is missing: apt-get install bubblewrap',
        }),
      ),
    ).toEqual([]);
  });
});
