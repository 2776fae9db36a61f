import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  assertArgumentsPinned,
  isServerSteerable,
  pinArguments,
  writableRoots,
} from './arguments.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'toolgate-args-'));
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'app'));
  writeFileSync(join(dir, 'data', 'notes.txt'), 'notes');
  writeFileSync(join(dir, 'app', 'server.js'), '');
  writeFileSync(join(dir, 'secret.txt'), 'secret');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('when pinning path arguments at lock', () => {
  it('[SBX-13] records the real path of each argument naming an existing path, resolved against the cwd', () => {
    symlinkSync(join(dir, 'app'), join(dir, 'current'));
    expect(
      pinArguments(['current/server.js', '--port', '3000', 'data/notes.txt', 'stdio', ''], dir),
    ).toEqual({
      'current/server.js': join(dir, 'app', 'server.js'),
      'data/notes.txt': join(dir, 'data', 'notes.txt'),
    });
  });

  it('[SBX-13] refuses an argument that resolves elsewhere than at lock, or newly goes through a symlink', () => {
    const args = ['app/server.js', 'data/notes.txt', 'data/later.txt'];
    const pins = pinArguments(args, dir);
    expect(() => assertArgumentsPinned('s', args, dir, pins)).not.toThrow();
    writeFileSync(join(dir, 'data', 'later.txt'), 'a plain file created later is fine');
    expect(() => assertArgumentsPinned('s', args, dir, pins)).not.toThrow();
    rmSync(join(dir, 'data', 'later.txt'));
    symlinkSync(join(dir, 'secret.txt'), join(dir, 'data', 'later.txt'));
    expect(() => assertArgumentsPinned('s', args, dir, pins)).toThrow(
      expect.objectContaining({ code: 'SANDBOX_ARGUMENT_CHANGED' }),
    );
    rmSync(join(dir, 'data', 'later.txt'));
    rmSync(join(dir, 'data', 'notes.txt'));
    symlinkSync(join(dir, 'secret.txt'), join(dir, 'data', 'notes.txt'));
    expect(() => assertArgumentsPinned('s', args, dir, pins)).toThrow(
      /argument data\/notes.txt resolves elsewhere than at lock/,
    );
  });
});

describe('when telling what a server can steer', () => {
  it('[SBX-14] flags a path in a writable folder, one resolving into it, and one going through a link planted in it', () => {
    const roots = writableRoots([join(dir, 'data')]);
    expect(isServerSteerable(join(dir, 'data', 'notes.txt'), roots)).toBe(true);
    expect(isServerSteerable(join(dir, 'app', 'server.js'), roots)).toBe(false);
    symlinkSync(join(dir, 'data', 'notes.txt'), join(dir, 'app', 'into-data'));
    expect(isServerSteerable(join(dir, 'app', 'into-data'), roots)).toBe(true);
    // A link the server planted in its folder, reached through an admin's link to that folder.
    symlinkSync(join(dir, 'data'), join(dir, 'data-alias'));
    symlinkSync(join(dir, 'secret.txt'), join(dir, 'data', 'planted'));
    expect(
      isServerSteerable(join(dir, 'data-alias', 'planted'), writableRoots([join(dir, 'data')])),
    ).toBe(true);
  });
});
