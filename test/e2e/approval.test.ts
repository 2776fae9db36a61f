import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorOf, eventually, runToolgate, startStdioGateway } from './harness.js';
import { entriesOf } from './audit-log.js';
import { call, PATIENTS, textOf, workspace } from './workspace-rig.js';

describe('when the user never answers', () => {
  it('[APPR-1] the question times out after approval.timeoutMs and the call is refused (APPROVAL_TIMEOUT)', async () => {
    let asked = 0;
    const gw = await startStdioGateway(
      { servers: { ws: workspace() }, approval: { timeoutMs: 1000 } },
      {
        client: { capabilities: { elicitation: { form: {} } } },
        setup: (client) =>
          client.setRequestHandler('elicitation/create', (_, ctx) => {
            asked++;
            // The user walks away: answer only when toolgate gives up and cancels the question.
            return new Promise((_resolve, reject) =>
              ctx.mcpReq.signal.addEventListener('abort', () => reject(new Error('cancelled'))),
            );
          }),
      },
    );
    try {
      await call(gw, 'read_issue', { number: '12' });
      await call(gw, 'read_private_repo', { path: 'secrets.env' });
      const error = await errorOf(call(gw, 'create_pull_request', { title: 't', body: 'b' }));
      expect(error.data?.code).toBe('APPROVAL_TIMEOUT');
      expect(asked).toBe(1);
    } finally {
      await gw.close();
    }
  });
});

describe('when a client cannot be asked but may wait (approval.queue)', () => {
  const pending = async (
    config: string,
  ): Promise<{ id: string; item: string; reason: string }[]> => {
    const listed = await runToolgate(['approvals', 'list', '--config', config, '--format', 'json']);
    expect(listed.code, listed.stderr).toBe(0);
    return JSON.parse(listed.stdout) as { id: string; item: string; reason: string }[];
  };

  it('[APPR-2] the call waits while an operator answers from another process: approve sends it, deny refuses it', async () => {
    const gw = await startStdioGateway({
      servers: { ws: workspace() },
      approval: { queue: true, timeoutMs: 60_000 },
    });
    const config = join(gw.dir, 'toolgate.yaml');
    try {
      const rows = textOf(await call(gw, 'read_file', { path: PATIENTS }));
      for (const answer of ['approve', 'deny'] as const) {
        const sending = call(gw, 'send_message', { to: 'eve', text: rows });
        sending.catch(() => undefined);
        let waiting: { id: string; item: string; reason: string }[] = [];
        await eventually(async () => (waiting = await pending(config)).length === 1, 30_000);
        expect(waiting[0]).toMatchObject({
          item: 'send_message',
          reason: expect.stringMatching(/private result/),
        });
        // The approval names its operator; the refusal, the default one (the OS user and host).
        const by = answer === 'approve' ? ['--by', 'alice (on call)'] : [];
        const answered = await runToolgate([
          'approvals',
          answer,
          waiting[0]?.id ?? '',
          '--config',
          config,
          ...by,
        ]);
        expect(answered.code, answered.stderr).toBe(0);
        if (answer === 'approve') expect(textOf(await sending)).toContain('sent to eve');
        else {
          const refused = await errorOf(sending);
          expect(refused.data?.code).toBe('APPROVAL_DENIED');
          expect(refused.message).toContain(
            `operator ${userInfo().username}@${hostname()} refused`,
          );
        }
        expect(await pending(config)).toEqual([]);
      }
      const unknown = await runToolgate([
        'approvals',
        'approve',
        '00000000-0000-4000-8000-000000000000',
        '--config',
        config,
      ]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('APPROVAL_UNKNOWN');
    } finally {
      await gw.close();
    }
    const answers = entriesOf(gw.dir)
      .map((e) => e.event)
      .filter((e) => e?.['kind'] === 'authz' && e['approval'] !== undefined);
    expect(answers).toMatchObject([
      { approval: 'approved', approvedBy: 'alice (on call)' },
      { approval: 'refused' },
    ]);
  });
});
