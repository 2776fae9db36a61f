/**
 * Issue #19, item 7: every sandbox ran as host uid 65534. A host process running as `nobody` (many
 * daemons do) could read every server's secrets from /proc/PID/environ (bwrap's own process is
 * outside the user namespace, with the secrets in its environment) and ptrace them.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, fixture, startStdioGateway, type Running } from '../e2e/harness.js';

const SECRETS = { A: 'uid-secret-a-8c41e07d', B: 'uid-secret-b-2f9a6b13' };
const NOBODY = 65534;

type Sandboxed = { server?: string; event?: { kind?: string; mode?: string; uid?: number } };
const sandboxEvents = (gw: Running): Sandboxed[] =>
  gw.stderr.flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as Sandboxed;
      return parsed.event?.kind === 'sandbox' ? [parsed] : [];
    } catch {
      return [];
    }
  });

/** A real host process as `nobody`: which processes' environ files it can read that hold `needle`. */
const environsSeenByNobody = (needle: string) =>
  new Promise<string>((resolve) => {
    execFile(
      '/bin/sh',
      ['-c', 'grep -l -a -F -e "$1" /proc/[0-9]*/environ 2>/dev/null; true', 'sh', needle],
      { uid: NOBODY, gid: NOBODY },
      (_error, stdout) => resolve(stdout.trim()),
    );
  });

let gw: Running;
beforeAll(async () => {
  const server = (secret: string) => ({
    command: process.execPath,
    args: [fixture('steer')],
    tools: ['*'],
    sandbox: { memoryMb: 2048 },
    secrets: { TOKEN: { env: secret } },
  });
  gw = await startStdioGateway(
    { servers: { a: server('SECRET_A'), b: server('SECRET_B') } },
    { env: { SECRET_A: SECRETS.A, SECRET_B: SECRETS.B } },
  );
  await eventually(
    () => gw.stderr.filter((line) => line.includes('"started"')).length === 2,
    60_000,
  );
}, 90_000);
afterAll(() => gw.close());

describe('when a host process runs as nobody beside the sandboxes', () => {
  it('[SBX-16] runs each server as its own uid, so nobody reads no secret from /proc/PID/environ', async () => {
    const uids = sandboxEvents(gw).map((e) => e.event?.uid);
    expect(uids).toHaveLength(2);
    if (process.getuid?.() !== 0) {
      // Without root there is no uid to switch to (newuidmap is not used): sandboxes keep the gateway's uid, as documented.
      expect(uids).toEqual([process.getuid?.(), process.getuid?.()]);
      return;
    }
    // Control: the reader works; it sees its own environment (the needle is on its command line and in $1, not environ).
    expect(await environsSeenByNobody('PATH=')).toMatch(/\/proc\/\d+\/environ/);
    expect(await environsSeenByNobody(SECRETS.A)).toBe('');
    expect(await environsSeenByNobody(SECRETS.B)).toBe('');
    expect(new Set(uids).size).toBe(2);
    expect(uids).not.toContain(NOBODY);
  });
});
