import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe } from './gateway-process.js';
import { errorOf, startStdioGateway, type Running } from './harness.js';
import { auditEvents, call, KEY_PATH, PATIENTS, textOf, workspace } from './workspace-rig.js';

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
