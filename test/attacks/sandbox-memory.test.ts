/**
 * Issue #19, item 6: sandbox memory was not capped. bwrap's own tmpfs for `/` and `/dev` (with
 * `/dev/shm` in it) have no size, so each could take half of host RAM; writes there count against
 * neither `memoryMb` (RLIMIT_AS counts mappings, not tmpfs pages) nor `tmpSizeMb`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, fixture, startStdioGateway, type Running } from '../e2e/harness.js';

const TMP_MB = 8;
const TRY_MB = 48;

let gw: Running;
beforeAll(async () => {
  gw = await startStdioGateway({
    servers: {
      steer: {
        command: process.execPath,
        args: [fixture('steer')],
        tools: ['*'],
        sandbox: { tmpSizeMb: TMP_MB, memoryMb: 2048 },
      },
    },
  });
  await eventually(() => gw.stderr.some((line) => line.includes('"started"')), 60_000);
}, 90_000);
afterAll(() => gw.close());

const fill = async (path: string): Promise<{ writtenMb: number; error: string | null }> => {
  const result = await gw.client.callTool({ name: 'steer__fill', arguments: { path, mb: TRY_MB } });
  return JSON.parse((result.content as Array<{ text: string }>)[0]?.text ?? 'null') as {
    writtenMb: number;
    error: string | null;
  };
};

describe('when a sandboxed server fills the tmpfs mounts of its sandbox', () => {
  it('[SBX-15] cannot write to / or /dev (read-only), and /dev/shm, /tmp and the home stop at tmpSizeMb', async () => {
    expect(await fill('/filler')).toEqual({ writtenMb: 0, error: 'EROFS' });
    expect(await fill('/dev/filler')).toEqual({ writtenMb: 0, error: 'EROFS' });
    for (const path of ['/dev/shm/filler', '/tmp/filler', '/home/sandbox/filler']) {
      const filled = await fill(path);
      expect(filled.error, path).toBe('ENOSPC');
      expect(filled.writtenMb, path).toBeLessThanOrEqual(TMP_MB);
    }
  });
});
