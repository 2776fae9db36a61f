import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  errorOf,
  eventually,
  fixture,
  runToolgate,
  startStdioGateway,
  tempDir,
  type Running,
} from './harness.js';

/**
 * The flow rules as authz.test.ts leaves them unproven: the refusals of both toxic chains are in the
 * audit log, the rules are configurable (deny, off), a sink alone passes in a fresh session, and the
 * question put to the user names the tool, its arguments and the rule.
 */
const LABELS = {
  read_file: ['private'],
  read_private_repo: ['private'],
  read_issue: ['untrusted'],
  send_message: ['sink'],
  create_pull_request: ['sink'],
};
const workspace = {
  command: process.execPath,
  args: [fixture('workspace')],
  tools: ['*'],
  labels: LABELS,
};
const PATIENTS = '/home/dev/private/patients.csv';

type AuthzEntry = Record<string, unknown>;
const auditEntries = (dir: string) =>
  readFileSync(join(dir, 'toolgate-audit.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { event?: AuthzEntry });
const authzEvents = (dir: string): AuthzEntry[] =>
  auditEntries(dir).flatMap((e) => (e.event?.['kind'] === 'authz' ? [e.event] : []));
/** Waits until the audit log holds `count` authz events (the log commits in groups). */
const awaitAuthz = async (dir: string, count: number): Promise<AuthzEntry[]> => {
  let events: AuthzEntry[] = [];
  await eventually(() => (events = authzEvents(dir)).length >= count, 15_000);
  return events;
};

const call = (gw: Running, name: string, args: Record<string, string>) =>
  gw.client.callTool({ name: `ws__${name}`, arguments: args });
const textOf = (result: unknown): string =>
  (result as { content: { text: string }[] }).content[0]?.text ?? '';

describe('when a client that cannot be asked runs both toxic chains', () => {
  let gw: Running;
  beforeAll(async () => {
    gw = await startStdioGateway({ servers: { ws: workspace } });
  });
  afterAll(() => gw.close());

  it('[FLOW-1] [FLOW-2] [APPR-1] each refusal is audited with its rule, reason and FLOW_APPROVAL_REQUIRED', async () => {
    const rows = textOf(await call(gw, 'read_file', { path: PATIENTS }));
    const carried = await errorOf(call(gw, 'send_message', { to: 'eve', text: rows }));
    expect(carried.data?.code).toBe('FLOW_APPROVAL_REQUIRED');
    expect(carried.message).toMatch(/client cannot be asked/);
    await call(gw, 'read_issue', { number: '12' });
    const toxic = await errorOf(call(gw, 'create_pull_request', { title: 'x', body: 'y' }));
    expect(toxic.data?.code).toBe('FLOW_APPROVAL_REQUIRED');
    const events = await awaitAuthz(gw.dir, 2);
    expect(events.map((e) => [e['item'], e['effect'], e['by'], e['approval']])).toEqual([
      ['send_message', 'ask', ['privateValueInSink'], 'refused'],
      ['create_pull_request', 'ask', ['privateUntrustedSink'], 'refused'],
    ]);
    expect(String(events[0]?.['reason'])).toMatch(/private result/);
    // The rows themselves never reach the log through the authz event.
    expect(JSON.stringify(events)).not.toContain('Oyelaran-Whitfield');
  });
});

describe('when the flow rules are configured', () => {
  it('[FLOW-1] [FLOW-2] privateValueInSink: deny refuses at once (FLOW_DENIED); privateUntrustedSink: off lets the chain through', async () => {
    const gw = await startStdioGateway({
      servers: { ws: workspace },
      flows: { privateValueInSink: 'deny', privateUntrustedSink: 'off' },
    });
    try {
      const rows = textOf(await call(gw, 'read_file', { path: PATIENTS }));
      const denied = await errorOf(call(gw, 'send_message', { to: 'eve', text: rows }));
      expect(denied.data?.code).toBe('FLOW_DENIED');
      await call(gw, 'read_issue', { number: '12' });
      const sent = await call(gw, 'create_pull_request', { title: 'fix', body: 'patch' });
      expect(textOf(sent)).toContain('opened pull request "fix"');
      const events = await awaitAuthz(gw.dir, 1);
      expect(events.map((e) => [e['item'], e['effect'], e['by']])).toEqual([
        ['send_message', 'deny', ['privateValueInSink']],
      ]);
    } finally {
      await gw.close();
    }
  });

  it('[FLOW-2] a private value shorter than flows.minMatchLength is not counted as carried', async () => {
    const gw = await startStdioGateway({
      servers: { ws: workspace },
      flows: { minMatchLength: 32 },
    });
    try {
      await call(gw, 'read_private_repo', { path: 'secrets.env' });
      // The password alone (16 characters; flagged under the default 16) is below 32: it may go.
      const sent = await call(gw, 'send_message', { to: 'ops', text: 'pw Zx81qLmv0PqT4rWu' });
      expect(textOf(sent)).toContain('sent to ops');
      const whole = 'DATABASE_URL=postgres://admin:Zx81qLmv0PqT4rWu@db.internal:5432/prod';
      const error = await errorOf(call(gw, 'send_message', { to: 'ops', text: whole }));
      expect(error.data?.code).toBe('FLOW_APPROVAL_REQUIRED');
    } finally {
      await gw.close();
    }
  });
});

describe('when a session is benign', () => {
  it('[FLOW-3] a sink alone in a fresh session passes unasked, and no authz event is written', async () => {
    const gw = await startStdioGateway({ servers: { ws: workspace } });
    try {
      const sent = await call(gw, 'send_message', { to: 'team', text: 'Standup moved to 10:30' });
      expect(textOf(sent)).toBe('sent to team: Standup moved to 10:30');
      const pr = await call(gw, 'create_pull_request', { title: 'docs', body: 'typo' });
      expect(textOf(pr)).toContain('opened pull request "docs"');
      // The calls themselves are audited; none of them drew a flow verdict.
      await eventually(
        () => JSON.stringify(auditEntries(gw.dir)).includes('create_pull_request'),
        15_000,
      );
      expect(authzEvents(gw.dir)).toEqual([]);
    } finally {
      await gw.close();
    }
  });
});

describe('when the user is asked through elicitation', () => {
  it('[APPR-1] the question names the tool, its arguments and the rule, and the accepted call is sent', async () => {
    const asked: string[] = [];
    const gw = await startStdioGateway(
      { servers: { ws: workspace } },
      {
        client: { capabilities: { elicitation: { form: {} } } },
        setup: (client) =>
          client.setRequestHandler('elicitation/create', async (request) => {
            asked.push(String(request.params.message));
            return { action: 'accept', content: { approve: true } };
          }),
      },
    );
    try {
      const rows = textOf(await call(gw, 'read_file', { path: PATIENTS }));
      const line = rows.split('\n')[1] ?? '';
      const sent = await call(gw, 'send_message', { to: 'dr.ng', text: line });
      expect(textOf(sent)).toBe(`sent to dr.ng: ${line}`);
      expect(asked).toHaveLength(1);
      expect(asked[0]).toContain('ws/send_message');
      expect(asked[0]).toContain('"to":"dr.ng"');
      expect(asked[0]).toContain('(privateValueInSink)');
      expect(asked[0]).toMatch(/value from a private result/);
      const events = await awaitAuthz(gw.dir, 1);
      expect(events.map((e) => [e['item'], e['approval']])).toEqual([['send_message', 'approved']]);
    } finally {
      await gw.close();
    }
  });
});

const SESSION_RULE = `
permit (principal, action, resource);
@id("no-private-after-untrusted") @ask("this session read untrusted content before this private read")
forbid (principal, action == Toolgate::Action::"tools/call", resource is Toolgate::Tool)
  when { resource.labels.contains("private") && context.sessionLabels.contains("untrusted") };
`;

describe('when a flow rule is written in Cedar on context.sessionLabels', () => {
  it('[FLOW-1] [AUTHZ-2] it applies after untrusted content only: a fresh session reads freely', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'flow.cedar'), SESSION_RULE);
    const gw = await startStdioGateway({
      servers: { ws: workspace },
      policy: { files: [join(dir, 'flow.cedar')] },
    });
    try {
      const first = await call(gw, 'read_private_repo', { path: 'secrets.env' });
      expect(textOf(first)).toContain('DATABASE_URL');
      await call(gw, 'read_issue', { number: '12' });
      const asked = await errorOf(call(gw, 'read_private_repo', { path: 'secrets.env' }));
      expect(asked.data?.code).toBe('FLOW_APPROVAL_REQUIRED');
      expect(asked.message).toContain('untrusted content before this private read');
      const events = await awaitAuthz(gw.dir, 1);
      expect(events.map((e) => [e['item'], e['by']])).toEqual([
        ['read_private_repo', ['no-private-after-untrusted']],
      ]);
    } finally {
      await gw.close();
    }
  });
});

describe('when an operator answers from another process', () => {
  it('[APPR-2] [APPR-1] the approval given with toolgate approvals is audited like one given by elicitation', async () => {
    const gw = await startStdioGateway({
      servers: { ws: workspace },
      approval: { queue: true, timeoutMs: 60_000 },
    });
    const config = ['--config', join(gw.dir, 'toolgate.yaml')];
    try {
      const rows = textOf(await call(gw, 'read_file', { path: PATIENTS }));
      const sending = call(gw, 'send_message', { to: 'eve', text: rows });
      let id = '';
      await eventually(async () => {
        const listed = await runToolgate(['approvals', 'list', ...config, '--format', 'json']);
        id = (JSON.parse(listed.stdout || '[]') as { id: string }[])[0]?.id ?? '';
        return id !== '';
      }, 30_000);
      expect((await runToolgate(['approvals', 'approve', id, ...config])).code).toBe(0);
      expect(textOf(await sending)).toContain('sent to eve');
      const events = await awaitAuthz(gw.dir, 1);
      expect(events.map((e) => [e['item'], e['by'], e['approval']])).toEqual([
        ['send_message', ['privateValueInSink'], 'approved'],
      ]);
    } finally {
      await gw.close();
    }
  });
});
