import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe } from './gateway-process.js';
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
 * The seed's attack vector 4, replayed: harmless tools chained into a theft. The workspace fixture's
 * sinks echo what they got, so a passing call shows exactly what would have left.
 */
const LABELS = {
  read_file: ['private'],
  read_private_repo: ['private'],
  read_issue: ['untrusted'],
  send_message: ['sink'],
  create_pull_request: ['sink'],
};
const workspace = (extra: Record<string, unknown> = {}) => ({
  command: process.execPath,
  args: [fixture('workspace')],
  tools: ['*'],
  labels: LABELS,
  ...extra,
});
const KEY_PATH = '/home/dev/.ssh/id_ed25519';
const PATIENTS = '/home/dev/private/patients.csv';
const auditEvents = (dir: string) =>
  readFileSync(join(dir, 'toolgate-audit.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { event?: Record<string, unknown> })
    .flatMap((entry) => (entry.event?.['kind'] === 'authz' ? [entry.event] : []));

const call = (gw: Running, name: string, args: Record<string, string>) =>
  gw.client.callTool({ name: `ws__${name}`, arguments: args });
const textOf = (result: unknown): string =>
  (result as { content: { text: string }[] }).content[0]?.text ?? '';

describe('when a client that cannot be asked runs a toxic chain', () => {
  let gw: Running;
  beforeAll(async () => {
    gw = await startStdioGateway({ servers: { ws: workspace() } });
  });
  afterAll(() => gw.close());

  it("[FLOW-2] the seed's chain: a planted key never reaches the agent, and private data never leaves unasked", async () => {
    // The credential is redacted on the way to the agent (secrets/), so there is nothing to send on.
    expect(textOf(await call(gw, 'read_file', { path: KEY_PATH }))).not.toContain(
      'b3BlbnNzaC1rZXkt',
    );
    const rows = textOf(await call(gw, 'read_file', { path: PATIENTS }));
    expect(rows).toContain('Oyelaran-Whitfield');
    const error = await errorOf(call(gw, 'send_message', { to: 'eve', text: `fyi: ${rows}` }));
    expect(error.data?.code).toBe('FLOW_APPROVAL_REQUIRED');
    expect(error.message).toMatch(/private result/);
    // The chain's last step, pushing it to a public repository, is asked the same way.
    const push = await errorOf(call(gw, 'create_pull_request', { title: 'data', body: rows }));
    expect(push.data?.code).toBe('FLOW_APPROVAL_REQUIRED');
  });

  it('[FLOW-2] also when the value is re-encoded: base64, hex, URL-encoded, re-wrapped, re-cased', async () => {
    const rows = textOf(await call(gw, 'read_file', { path: PATIENTS }));
    const line = rows.split('\n')[1] ?? '';
    for (const text of [
      Buffer.from(rows).toString('base64'),
      Buffer.from(line).toString('hex'),
      encodeURIComponent(line),
      line.match(/.{1,12}/g)?.join('\n') ?? '',
      `Patient: ${line.toUpperCase().replace(/,/g, ' | ')}`,
    ]) {
      const error = await errorOf(call(gw, 'send_message', { to: 'eve', text }));
      expect(error.data?.code, text.slice(0, 40)).toBe('FLOW_APPROVAL_REQUIRED');
    }
  });

  it('[FLOW-3] lets a sink call through that carries nothing private', async () => {
    const result = await call(gw, 'send_message', { to: 'team', text: 'Lunch at noon?' });
    expect(textOf(result)).toBe('sent to team: Lunch at noon?');
  });
});

describe('when a session read private data and untrusted content (the GitHub toxic flow)', () => {
  it('[FLOW-1] [APPR-1] asks before the public write, through elicitation: a decline refuses, an accept sends', async () => {
    const asked: string[] = [];
    let answer = false;
    const gw = await startStdioGateway(
      { servers: { ws: workspace() } },
      {
        client: { capabilities: { elicitation: { form: {} } } },
        setup: (client) =>
          client.setRequestHandler('elicitation/create', async (request) => {
            asked.push(String(request.params.message));
            return { action: 'accept', content: { approve: answer } };
          }),
      },
    );
    try {
      await call(gw, 'read_issue', { number: '12' });
      await call(gw, 'read_private_repo', { path: 'secrets.env' });
      const refused = await errorOf(call(gw, 'create_pull_request', { title: 'debug', body: 'x' }));
      expect(refused.data?.code).toBe('APPROVAL_DENIED');
      expect(asked).toHaveLength(1);
      expect(asked[0]).toMatch(/private data and untrusted content/);
      expect(asked[0]).toContain('ws/create_pull_request');
      answer = true;
      const sent = await call(gw, 'create_pull_request', { title: 'debug', body: 'x' });
      expect(textOf(sent)).toContain('opened pull request "debug"');
      expect(asked).toHaveLength(2);
      expect(auditEvents(gw.dir).map((e) => [e['item'], e['by'], e['approval']])).toEqual([
        ['create_pull_request', ['privateUntrustedSink'], 'refused'],
        ['create_pull_request', ['privateUntrustedSink'], 'approved'],
      ]);
    } finally {
      await gw.close();
    }
  });

  it('[FLOW-3] the benign version passes without a question: untrusted text, then a public write', async () => {
    const gw = await startStdioGateway({ servers: { ws: workspace() } });
    try {
      await call(gw, 'read_issue', { number: '12' });
      const sent = await call(gw, 'create_pull_request', { title: 'fix ARM build', body: 'patch' });
      expect(textOf(sent)).toContain('opened pull request');
    } finally {
      await gw.close();
    }
  });
});

const POLICY = `
@id("readers-list") permit (principal in Toolgate::Group::"readers", action == Toolgate::Action::"tools/list", resource in Toolgate::Server::"ws")
  when { resource.name like "read_*" };
@id("notes-only") permit (principal in Toolgate::Group::"readers", action == Toolgate::Action::"tools/call", resource in Toolgate::Server::"ws")
  when { resource.name == "read_file" && context.arguments.hasTag("path") && context.arguments.getTag("path") like "/home/dev/notes/*" };
@id("chat") permit (principal in Toolgate::Group::"chat", action in [Toolgate::Action::"tools/list", Toolgate::Action::"tools/call"], resource)
  when { resource.name == "send_message" };
@id("external-mail") @ask("a message to someone outside example.com")
forbid (principal, action == Toolgate::Action::"tools/call", resource)
  when { resource.name == "send_message" && context.arguments.hasTag("to") && !(context.arguments.getTag("to") like "*@example.com") };
`;

const policyGateway = async (agent: string, groups: string[]) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'agents.cedar'), POLICY);
  return startStdioGateway(
    {
      servers: { ws: workspace() },
      agents: { [agent]: { groups, stdio: true } },
      policy: { files: [join(dir, 'agents.cedar')] },
    },
    {},
  );
};

describe('when Cedar policies decide per agent', () => {
  it('[AUTHZ-1] two agents see different tools and get different decisions on the same call', async () => {
    const alice = await policyGateway('alice', ['readers']);
    const bob = await policyGateway('bob', ['chat']);
    try {
      const names = async (gw: Running) =>
        (await gw.client.listTools()).tools.map((t) => t.name).sort();
      expect(await names(alice)).toEqual([
        'ws__read_file',
        'ws__read_issue',
        'ws__read_private_repo',
      ]);
      expect(await names(bob)).toEqual(['ws__send_message']);
      const note = { path: '/home/dev/notes/todo.md' };
      expect(textOf(await call(alice, 'read_file', note))).toContain('Buy milk');
      expect((await errorOf(call(bob, 'read_file', note))).data?.code).toBe('AUTHZ_DENIED');
      expect(
        (await errorOf(call(alice, 'send_message', { to: 'a@example.com', text: 'hi' }))).data
          ?.code,
      ).toBe('AUTHZ_DENIED');
      expect(
        textOf(await call(bob, 'send_message', { to: 'a@example.com', text: 'hi' })),
      ).toContain('sent');
    } finally {
      await Promise.all([alice.close(), bob.close()]);
    }
  });

  it('[AUTHZ-2] conditions on arguments: a path prefix that ".." cannot walk out of; @ask turns a forbid into a question', async () => {
    const alice = await policyGateway('alice', ['readers', 'chat']);
    try {
      const escape = await errorOf(
        call(alice, 'read_file', { path: '/home/dev/notes/../.ssh/id_ed25519' }),
      );
      expect(escape.data?.code).toBe('AUTHZ_DENIED');
      expect(escape.message).toMatch(/no policy permits it/);
      const outside = await errorOf(
        call(alice, 'send_message', { to: 'eve@evil.example', text: 'hi' }),
      );
      expect(outside.data?.code).toBe('FLOW_APPROVAL_REQUIRED');
      expect(outside.message).toContain('outside example.com');
    } finally {
      await alice.close();
    }
  });

  it('[AUTHZ-3] a policy file that does not validate against the schema stops the start with AUTHZ_POLICY_INVALID', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'bad.cedar'),
      'permit (principal, action, resource) when { resource.colour == "red" };',
    );
    writeFileSync(
      join(dir, 'toolgate.yaml'),
      JSON.stringify({ servers: { ws: workspace() }, policy: { files: ['bad.cedar'] } }),
    );
    const run = await runToolgate(['run', '--no-lock', '--config', join(dir, 'toolgate.yaml')], {
      timeoutMs: 30_000,
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('AUTHZ_POLICY_INVALID');
    expect(run.stderr).toContain('colour');
  });
});

describe('when an agent calls too often', () => {
  it('[RATE-1] gets RATE_LIMITED with a retry hint once its bucket is empty; other tools keep their own', async () => {
    const gw = await startStdioGateway({
      servers: { ws: workspace() },
      rateLimits: { perTool: { capacity: 2, refillPerSecond: 0.001 } },
    });
    try {
      await call(gw, 'read_issue', { number: '1' });
      await call(gw, 'read_issue', { number: '2' });
      const limited = await errorOf(call(gw, 'read_issue', { number: '3' }));
      expect(limited.data?.code).toBe('RATE_LIMITED');
      expect(limited.message).toMatch(/retry in \d+(\.\d)? s/);
      expect(textOf(await call(gw, 'send_message', { to: 'team', text: 'ok' }))).toContain('sent');
    } finally {
      await gw.close();
    }
  });
});

describe('when policies are tested before they are deployed', () => {
  const example = join(import.meta.dirname, '../../examples/policy/agents.test.yaml');

  it('[AUTHZ-5] toolgate policy test runs the cases as the gateway decides them: exit 0 when all pass', async () => {
    const run = await runToolgate(['policy', 'test', example]);
    expect(run.stdout).toContain('7 passed, 0 failed');
    expect(run.code).toBe(0);
  });

  it('[AUTHZ-5] exits 1 naming the failing case, and 2 on a file that is not a policy test', async () => {
    const dir = tempDir();
    const cases = readFileSync(example, 'utf8').replace('expect: ask', 'expect: allow');
    writeFileSync(join(dir, 'agents.cedar'), readFileSync(join(example, '../agents.cedar')));
    writeFileSync(join(dir, 'cases.yaml'), cases);
    const failing = await runToolgate(['policy', 'test', join(dir, 'cases.yaml')]);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(
      /FAIL {2}mail outside the company is asked: ask \(expected allow\)/,
    );
    writeFileSync(join(dir, 'bad.yaml'), 'cases: []');
    expect((await runToolgate(['policy', 'test', join(dir, 'bad.yaml')])).code).toBe(2);
  });
});

describe('when a stateless (2026-07-28) HTTP client runs the toxic chain', () => {
  it('[FLOW-2] its agent keeps one flow history across requests: the sink call carrying private rows is refused', async () => {
    const gw = await startServe({ servers: { ws: workspace() } });
    const client = new Client(
      { name: 'stateless', version: '1.0.0' },
      { versionNegotiation: { mode: 'auto' } },
    );
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      const rows = textOf(
        await client.callTool({ name: 'ws__read_file', arguments: { path: PATIENTS } }),
      );
      const error = await errorOf(
        client.callTool({ name: 'ws__send_message', arguments: { to: 'eve', text: rows } }),
      );
      expect(error.data?.code).toBe('FLOW_APPROVAL_REQUIRED');
    } finally {
      await client.close();
      await gw.stop();
    }
  });
});

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
        const answered = await runToolgate([
          'approvals',
          answer,
          waiting[0]?.id ?? '',
          '--config',
          config,
        ]);
        expect(answered.code, answered.stderr).toBe(0);
        if (answer === 'approve') expect(textOf(await sending)).toContain('sent to eve');
        else expect((await errorOf(sending)).data?.code).toBe('APPROVAL_DENIED');
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
  });
});
