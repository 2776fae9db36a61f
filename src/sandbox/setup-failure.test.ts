import { describe, expect, it } from 'vitest';
import { toSetupFailure } from './setup-failure.js';

describe('toSetupFailure', () => {
  it("[FAIL-2] makes bwrap's own message a SANDBOX_UNAVAILABLE naming the server, with a hint for a path it cannot reach", () => {
    const failure = toSetupFailure('files', [
      "bwrap: Can't find source path /srv/private/pkg: Permission denied",
    ]);
    expect(failure).toMatchObject({ code: 'SANDBOX_UNAVAILABLE' });
    expect(failure?.message).toBe(
      'server "files": its sandbox could not be set up: bwrap: Can\'t find source path /srv/private/pkg: Permission denied; every folder above a bound path must be traversable by the sandbox user (chmod o+x), or move the file',
    );
    expect(
      toSetupFailure('x', ['warming up', 'bwrap: execvp node: No such file or directory'])?.message,
    ).toBe(
      'server "x": its sandbox could not be set up: bwrap: execvp node: No such file or directory',
    );
  });

  it("[FAIL-2] leaves a shortage that passes (namespaces, memory) and lines that are not bwrap's to the retry path", () => {
    expect(
      toSetupFailure('x', ['bwrap: Creating new namespace failed: No space left on device']),
    ).toBeUndefined();
    expect(toSetupFailure('x', ['bwrap: clone: Resource temporarily unavailable'])).toBeUndefined();
    expect(
      toSetupFailure('x', ['Error: Cannot find module /srv/server.js', 'node: bwrap: lookalike']),
    ).toBeUndefined();
    expect(toSetupFailure('x', [])).toBeUndefined();
  });

  it('bounds the message a launch can put into the error', () => {
    expect(toSetupFailure('x', [`bwrap: ${'a'.repeat(5000)}`])?.message.length).toBeLessThan(600);
  });
});
