import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  Client,
  StreamableHTTPClientTransport,
  type ClientOptions,
  type Transport,
} from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recording, startServe, type ServeProcess } from './gateway-process.js';
import { BIN, errorOf, tempDir } from './harness.js';

/**
 * Approval of a 2026-07-28 (stateless) client, asked in band: toolgate answers the call with an
 * `input_required` result carrying the question and a `requestState` bound to the call; the client
 * answers by re-sending the call with its `inputResponses` and the state. The recording fixture
 * proves what reached the upstream.
 */
const POLICY = `
@id("anything") permit (principal, action, resource);
@id("echo-asks") @ask("an echo leaves the machine")
forbid (principal, action == Toolgate::Action::"tools/call", resource)
  when { resource.name == "echo" };
`;

const configIn = (dir: string) => {
  writeFileSync(join(dir, 'ask.cedar'), POLICY);
  return {
    servers: { rec: { ...recording(join(dir, 'calls.jsonl')), tools: ['echo'] } },
    policy: { files: [join(dir, 'ask.cedar')] },
  };
};

/** The texts of the `tools/call` requests the upstream received. */
const seen = (dir: string): string[] => {
  const file = join(dir, 'calls.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(
      (line) => JSON.parse(line) as { method?: string; params?: { arguments?: { text?: string } } },
    )
    .filter((m) => m.method === 'tools/call')
    .map((m) => String(m.params?.arguments?.text));
};

const approvals = (dir: string) =>
  readFileSync(join(dir, 'toolgate-audit.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { event?: Record<string, unknown> })
    .flatMap((e) => (e.event?.['kind'] === 'authz' ? [e.event['approval']] : []));

const MODERN: ClientOptions = {
  versionNegotiation: { mode: { pin: '2026-07-28' } },
  capabilities: { elicitation: { form: {} } },
};

/** A 2026-07-28 client that answers toolgate's question with `answer()`, recording each message asked. */
const asking = async (transport: Transport, answer: () => boolean, asked: string[]) => {
  const client = new Client({ name: 'modern', version: '1.0.0' }, MODERN);
  client.setRequestHandler('elicitation/create', async (request) => {
    asked.push(String(request.params.message));
    return { action: 'accept', content: { approve: answer() } };
  });
  await client.connect(transport);
  expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
  return client;
};

const echo = (client: Client, text: string) =>
  client.callTool({ name: 'rec__echo', arguments: { text } });
const textOf = (result: unknown): string =>
  (result as { content: { text: string }[] }).content[0]?.text ?? '';

/** Two agents with API keys: a state minted for one must not serve the other. */
const KEYS = { alice: 'alice-key-0123456789abcdef', bob: 'bob-key-0123456789abcdef' };
const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');
const as = (gw: ServeProcess, agent: keyof typeof KEYS) =>
  new StreamableHTTPClientTransport(new URL(gw.url), {
    requestInit: { headers: { authorization: `Bearer ${KEYS[agent]}` } },
  });

describe('when a 2026-07-28 client behind toolgate serve is asked for approval', () => {
  let gw: ServeProcess;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    const config = {
      ...configIn(dir),
      auth: {
        apiKeys: [
          { id: 'alice', sha256: sha256(KEYS.alice) },
          { id: 'bob', sha256: sha256(KEYS.bob) },
        ],
      },
    };
    gw = await startServe(config, '127.0.0.1:0', { file: join(dir, 'toolgate.json') });
  });
  afterAll(() => gw.stop());

  it('[APPR-3] [APPR-1] asks in band: an accept reaches the upstream, a decline never does; both audited', async () => {
    const asked: string[] = [];
    let yes = true;
    const client = await asking(as(gw, 'alice'), () => yes, asked);
    try {
      expect(textOf(await echo(client, 'approved text'))).toBe('echo: approved text');
      expect(asked).toHaveLength(1);
      expect(asked[0]).toMatch(/an echo leaves the machine \(echo-asks\)/);
      expect(asked[0]).toContain('rec/echo {"text":"approved text"}');
      yes = false;
      const refused = await errorOf(echo(client, 'declined text'));
      expect(refused.data?.code).toBe('APPROVAL_DENIED');
      expect(asked).toHaveLength(2);
    } finally {
      await client.close();
    }
    expect(seen(dir)).toEqual(['approved text']);
    expect(approvals(dirname(gw.configFile))).toEqual(['asked', 'approved', 'asked', 'refused']);
  });

  it('[APPR-3] refuses a tampered, replayed or transplanted requestState, and the upstream never sees those calls', async () => {
    const manual = async (agent: keyof typeof KEYS) => {
      const one = new Client(
        { name: 'manual', version: '1.0.0' },
        { ...MODERN, inputRequired: { autoFulfill: false } },
      );
      await one.connect(as(gw, agent));
      return one;
    };
    const client = await manual('alice');
    const bob = await manual('bob');
    const ask = async (text: string) => {
      const result = (await client.callTool(
        { name: 'rec__echo', arguments: { text } },
        { allowInputRequired: true },
      )) as unknown as { resultType?: string; requestState: string; inputRequests: object };
      expect(result.resultType).toBe('input_required');
      expect(Object.keys(result.inputRequests)).toEqual(['toolgate_approval']);
      return result.requestState;
    };
    // The 2026-07-28 retry: the answer and the echoed state beside the call's own params.
    const retry = (text: string, requestState: string, by = client) => {
      const params = {
        name: 'rec__echo',
        arguments: { text },
        inputResponses: { toolgate_approval: { action: 'accept', content: { approve: true } } },
        requestState,
      };
      return by.callTool(params);
    };
    try {
      const state = await ask('first');
      const [v, nonce, expiry, mac] = state.split('.');
      const later = `${v}.${nonce}.${Number(expiry) + 3_600_000}.${mac}`;
      expect((await errorOf(retry('first', later))).data?.code).toBe('APPROVAL_STATE_INVALID');
      expect((await errorOf(retry('other arguments', state))).data?.code).toBe(
        'APPROVAL_STATE_INVALID',
      );
      expect((await errorOf(retry('first', state, bob))).data?.code).toBe('APPROVAL_STATE_INVALID');
      expect((await errorOf(retry('first', 'v1.forged.1.AAAA'))).data?.code).toBe(
        'APPROVAL_STATE_INVALID',
      );
      expect(textOf(await retry('first', state))).toBe('echo: first');
      const replayed = await errorOf(retry('first', state));
      expect(replayed.data?.code).toBe('APPROVAL_STATE_INVALID');
      expect(replayed.code).toBe(-32003);
    } finally {
      await client.close();
      await bob.close();
    }
    expect(seen(dir).filter((t) => t !== 'approved text')).toEqual(['first']);
  });
});

describe('when a 2026-07-28 client behind toolgate run (stdio) is asked for approval', () => {
  it('[APPR-3] asks in band over stdio too: accept, then decline', async () => {
    const dir = tempDir();
    const configPath = join(dir, 'toolgate.yaml');
    writeFileSync(configPath, JSON.stringify(configIn(dir)));
    const asked: string[] = [];
    let yes = true;
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'run', '--no-lock', '--config', configPath],
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
    });
    const client = await asking(transport, () => yes, asked);
    try {
      expect(textOf(await echo(client, 'over stdio'))).toBe('echo: over stdio');
      yes = false;
      expect((await errorOf(echo(client, 'not over stdio'))).data?.code).toBe('APPROVAL_DENIED');
      expect(asked).toHaveLength(2);
    } finally {
      await client.close();
    }
    expect(seen(dir)).toEqual(['over stdio']);
  });
});
