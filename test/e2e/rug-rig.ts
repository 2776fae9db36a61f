import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { fixture, runToolgate, tempDir, type Running } from './harness.js';

// The rug-pull rig the lockfile e2e files (lockfile*.test.ts) share: a locked config around the
// rug-pull fixture, and what the gateway and the fixture tell about it.

/** Runs the toolgate CLI; resolves with its exit code and output (never rejects). */
export const toolgate = (args: string[], cwd?: string) =>
  runToolgate(args, cwd === undefined ? {} : { cwd });

export const INJECTED_MARK = '<IMPORTANT>';

export interface Rig {
  readonly dir: string;
  readonly config: string;
  readonly lockPath: string;
  readonly callLog: string;
}

/** A config with one rug-pull server in `mode`, locked with `toolgate lock` (which must succeed). */
export const lockedRig = async (
  mode: string,
  env: Record<string, string> = {},
  detect = false,
  flags: string[] = [],
): Promise<Rig & { config: string }> => {
  const dir = tempDir();
  const callLog = join(dir, 'calls.log');
  const config = join(dir, 'toolgate.yaml');
  writeFileSync(config, JSON.stringify(rigConfig(mode, callLog, env, detect)));
  const result = await toolgate(['lock', '--config', config, ...flags]);
  expect(result.code, result.stderr).toBe(0);
  return { dir, config, lockPath: join(dir, 'toolgate.lock'), callLog };
};

/**
 * The rug-pull server's config. The injection detector (detect/) is switched off so these tests prove
 * the pins block on their own: it runs inside the pins and would otherwise hide the poisoned
 * definition before the pins see it. One test below runs with it on.
 */
export const rigConfig = (
  mode: string,
  callLog: string,
  env: Record<string, string> = {},
  detect = false,
) => ({
  content: { detect: { enabled: detect } },
  servers: {
    rug: {
      command: process.execPath,
      args: [fixture('rug-pull')],
      env: { RUG_MODE: mode, RUG_LOG: callLog, ...env },
      tools: ['*'],
      prompts: ['*'],
      sandbox: false,
    },
  },
});

export const pinEvents = (gw: Running) =>
  gw.stderr.flatMap((line) => {
    try {
      const event = JSON.parse(line) as {
        kind?: string;
        code?: string;
        item?: string;
        renamedFrom?: string;
        message?: string;
      };
      return event.kind === 'pin' ? [event] : [];
    } catch {
      return [];
    }
  });

export const calls = (rig: Rig) =>
  existsSync(rig.callLog) ? readFileSync(rig.callLog, 'utf8').split('\n').filter(Boolean) : [];
export const toolNames = async (gw: Running) =>
  (await gw.client.listTools()).tools.map((t) => t.name).sort();
