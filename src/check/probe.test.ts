import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { probeEnvironment, readLockState } from './probe.js';

const SERVERS = { servers: { a: { command: 'node', sandbox: false } } };
const setup = (doc: Record<string, unknown>) => {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-check-'));
  const path = join(dir, 'toolgate.yaml');
  return { dir, path, config: parseConfig({ ...SERVERS, ...doc }) };
};

describe('when the environment is probed', () => {
  it("[CHK-4] reads the signing key's mode and finds a log folder that does not exist", async () => {
    const { dir, path, config } = setup({ audit: { path: 'missing/log.jsonl' } });
    writeFileSync(join(dir, 'toolgate-audit.key'), 'k');
    chmodSync(join(dir, 'toolgate-audit.key'), 0o640);
    const probe = await probeEnvironment(path, config);
    expect(probe.audit).toEqual({
      keyFile: { path: join(dir, 'toolgate-audit.key'), mode: 0o640 },
      store: {
        path: join(dir, 'missing/log.jsonl'),
        writable: false,
        reason: `${join(dir, 'missing')} does not exist`,
      },
    });
  });

  it('[CHK-4] reports no audit section when the log is off, and no sandbox probe when no server needs one', async () => {
    const { path, config } = setup({ audit: false });
    const probe = await probeEnvironment(path, config);
    expect(probe.audit).toBeUndefined();
    expect(probe.sandbox).toMatchObject({
      ok: false,
      reason: expect.stringContaining('not probed'),
    });
  });

  it('[CHK-5] tells an absent lock from one that is there but unusable', async () => {
    const { dir, path, config } = setup({});
    expect(await readLockState(path, config)).toEqual({
      kind: 'absent',
      path: join(dir, 'toolgate.lock'),
    });
    writeFileSync(join(dir, 'toolgate.lock'), '{"lockfileVersion": 2}');
    expect(await readLockState(path, config)).toMatchObject({
      kind: 'invalid',
      error: expect.stringContaining('not a valid lock'),
    });
  });
});
