import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApprovalQueue } from './queue.js';

const APPROVE = { decision: 'approve', by: 'alice@ops' } as const;
const request = { agent: 'a', server: 's', item: 'send', summary: '{}', rule: 'r', reason: 'why' };

describe('when a call waits in the approval queue', () => {
  it('[APPR-2] ends with the answer written by another queue on the same folder, and leaves nothing behind', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'toolgate-queue-')), 'q');
    const gateway = createApprovalQueue(dir);
    const operator = createApprovalQueue(dir);
    const waiting = gateway.wait(request, 30_000, new AbortController().signal);
    let listed: Awaited<ReturnType<typeof operator.list>> = [];
    while ((listed = await operator.list()).length === 0) await new Promise((r) => setImmediate(r));
    expect(listed[0]).toMatchObject(request);
    await operator.answer(listed[0]?.id ?? '', { decision: 'deny', by: 'bob@ops' });
    expect(await waiting).toEqual({ decision: 'deny', by: 'bob@ops' });
    expect(await operator.list()).toEqual([]);
  });

  it('[APPR-2] times out unanswered, and refuses an answer to an id that is not waiting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-queue-'));
    const queue = createApprovalQueue(dir);
    expect(await queue.wait(request, 50, new AbortController().signal)).toBe('timeout');
    await expect(
      queue.answer('00000000-0000-4000-8000-000000000000', APPROVE),
    ).rejects.toMatchObject({
      code: 'APPROVAL_UNKNOWN',
    });
    await expect(queue.answer('../../etc/passwd', APPROVE)).rejects.toMatchObject({
      code: 'APPROVAL_UNKNOWN',
    });
  });
});
