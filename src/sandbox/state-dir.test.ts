import { chmodSync, mkdirSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertReachable, ensureStateDir, unreachable, withStateDir } from './state-dir.js';

const UID = 0x80001;

describe('when a sandbox uid needs a path', () => {
  const tree = () => {
    const home = mkdtempSync(join(tmpdir(), 'toolgate-reach-')); // 0700, owned by whoever runs the test
    const pkg = join(home, 'clone/node_modules/p');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'index.js'), '');
    return { home, pkg };
  };

  it('[SBX-17] names the 0700 folder on the way, and nothing once every folder is passable', () => {
    const { home, pkg } = tree();
    expect(unreachable(join(pkg, 'index.js'), UID, UID)).toEqual({ folder: home, mode: '0700' });
    chmodSync(home, 0o711);
    expect(unreachable(join(pkg, 'index.js'), UID, UID)).toBeUndefined();
    // The owner passes its own 0700 folder.
    chmodSync(home, 0o700);
    const owner = statSync(home).uid;
    expect(unreachable(join(pkg, 'index.js'), owner, statSync(home).gid)).toBeUndefined();
  });

  it('[SBX-17] refuses the launch with SANDBOX_UNREACHABLE as root; without a uid switch nothing is checked', () => {
    const { home, pkg } = tree();
    expect(() => assertReachable('s', [pkg], { uid: UID, gid: UID })).toThrow(
      expect.objectContaining({
        code: 'SANDBOX_UNREACHABLE',
        message: expect.stringContaining(`${home} is mode 0700`) as string,
      }),
    );
    expect(() => assertReachable('s', [pkg], {})).not.toThrow();
  });
});

describe('when a server has a state folder', () => {
  it('[SBX-17] creates it 0700 for the sandbox uid (as root), and refuses a symlink', async () => {
    const base = mkdtempSync(join(tmpdir(), 'toolgate-state-'));
    const dir = join(base, 'state/toolgate/s');
    const root = process.getuid?.() === 0;
    await ensureStateDir('s', dir, root ? { uid: UID, gid: UID } : {});
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(base, 'state')).mode & 0o777).toBe(0o755);
    if (root) expect(statSync(dir).uid).toBe(UID);
    symlinkSync('/etc', join(base, 'link'));
    await expect(ensureStateDir('s', join(base, 'link'), {})).rejects.toMatchObject({
      code: 'SANDBOX_UNAVAILABLE',
    });
  });

  it('names it in TOOLGATE_STATE_DIR and expands ${TOOLGATE_STATE_DIR} in env values and args', () => {
    expect(
      withStateDir(
        { MEMORY_FILE_PATH: '${TOOLGATE_STATE_DIR}/m.jsonl', OTHER: 'x' },
        ['--db', '${TOOLGATE_STATE_DIR}/db', 'plain'],
        '/var/lib/toolgate/s',
      ),
    ).toEqual({
      env: {
        MEMORY_FILE_PATH: '/var/lib/toolgate/s/m.jsonl',
        OTHER: 'x',
        TOOLGATE_STATE_DIR: '/var/lib/toolgate/s',
      },
      args: ['--db', '/var/lib/toolgate/s/db', 'plain'],
    });
  });
});
