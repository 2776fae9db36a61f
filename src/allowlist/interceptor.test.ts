import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { compose, type Message, type Next, type Result } from '../core/interceptor.js';
import { compileAllowlist } from './compile.js';
import { enforceAllowlist } from './interceptor.js';

const allowlist = compileAllowlist(
  parseConfig({
    servers: {
      a: {
        command: 'x',
        tools: ['echo'],
        prompts: ['greet'],
        resources: ['file:///ok'],
        allow: { sampling: true },
      },
      empty: { command: 'x' },
    },
  }),
);

const message = (over: Partial<Message>): Message => ({
  kind: 'request',
  direction: 'to-server',
  method: 'tools/call',
  params: {},
  server: 'a',
  principal: { id: 't', transport: 'stdio' },
  signal: new AbortController().signal,
  ...over,
});

/** The chain with only the allowlist in it, ending in a terminal that records what reached it. */
const rig = (answer: (m: Message) => Result = () => ({ content: [] })) => {
  const reached: Message[] = [];
  const serve = (m: Message): Result => {
    reached.push(m);
    return answer(m);
  };
  const terminal: Next = (m) => Promise.resolve(serve(m));
  return { send: compose([enforceAllowlist(allowlist)], terminal), reached };
};

const LISTS: Record<string, Result> = {
  'tools/list': { tools: [{ name: 'echo' }, { name: 'rm' }, { name: 42 }, null] },
  'prompts/list': { prompts: [{ name: 'greet' }, { name: 'leak' }] },
  'resources/list': { resources: [{ uri: 'file:///ok' }, { uri: 'file:///etc/passwd' }] },
  'resources/templates/list': {
    resourceTemplates: [{ uriTemplate: 'file:///ok' }, { uriTemplate: 'file:///{x}' }],
  },
};

describe('when an agent calls an item', () => {
  it('[ALLOW-2] denies a tool the config does not name, and nothing reaches the upstream', async () => {
    const { send, reached } = rig();
    await expect(send(message({ params: { name: 'rm' } }))).rejects.toMatchObject({
      code: 'POLICY_TOOL_DENIED',
    });
    await expect(send(message({ params: {} }))).rejects.toMatchObject({
      code: 'POLICY_TOOL_DENIED',
    });
    expect(reached).toEqual([]);
  });

  it('[ALLOW-3] denies everything on a server with no allowlist', async () => {
    const { send, reached } = rig();
    await expect(
      send(message({ server: 'empty', params: { name: 'echo' } })),
    ).rejects.toMatchObject({ code: 'POLICY_TOOL_DENIED' });
    await expect(
      send(message({ server: 'unknown', params: { name: 'echo' } })),
    ).rejects.toMatchObject({ code: 'POLICY_TOOL_DENIED' });
    expect(reached).toEqual([]);
  });

  it('[ALLOW-5] denies prompts, resources and completions the config does not name', async () => {
    const { send, reached } = rig();
    const denied: [Partial<Message>, string][] = [
      [{ method: 'prompts/get', params: { name: 'leak' } }, 'POLICY_PROMPT_DENIED'],
      [
        { method: 'resources/read', params: { uri: 'file:///etc/passwd' } },
        'POLICY_RESOURCE_DENIED',
      ],
      [{ method: 'resources/subscribe', params: { uri: 'file:///x' } }, 'POLICY_RESOURCE_DENIED'],
      [{ method: 'resources/unsubscribe', params: { uri: 'file:///x' } }, 'POLICY_RESOURCE_DENIED'],
      [
        { method: 'completion/complete', params: { ref: { type: 'ref/prompt', name: 'leak' } } },
        'POLICY_PROMPT_DENIED',
      ],
      [
        { method: 'completion/complete', params: { ref: { type: 'ref/unknown' } } },
        'POLICY_TOOL_DENIED',
      ],
    ];
    for (const [over, code] of denied)
      await expect(send(message(over))).rejects.toMatchObject({ code });
    expect(reached).toEqual([]);
  });

  it('passes an allowed call through unchanged, with its result', async () => {
    const { send, reached } = rig(() => ({ content: [{ type: 'text', text: 'hi' }] }));
    const calls = [
      message({ params: { name: 'echo', arguments: { text: 'hi' } } }),
      message({ method: 'prompts/get', params: { name: 'greet' } }),
      message({ method: 'resources/read', params: { uri: 'file:///ok' } }),
      message({
        method: 'completion/complete',
        params: { ref: { type: 'ref/resource', uri: 'file:///ok' } },
      }),
    ];
    for (const m of calls)
      await expect(send(m)).resolves.toEqual({ content: [{ type: 'text', text: 'hi' }] });
    expect(reached).toEqual(calls);
  });

  it('does not mistake a method named like an Object member for an item', async () => {
    const { send, reached } = rig();
    await send(message({ method: '__proto__', params: {} }));
    await send(message({ method: 'toString', params: {} }));
    expect(reached.map((m) => m.method)).toEqual(['__proto__', 'toString']);
  });
});

describe('when an upstream answers a list', () => {
  it.each([
    ['tools/list', { tools: [{ name: 'echo' }] }],
    ['prompts/list', { prompts: [{ name: 'greet' }] }],
    ['resources/list', { resources: [{ uri: 'file:///ok' }] }],
    ['resources/templates/list', { resourceTemplates: [{ uriTemplate: 'file:///ok' }] }],
  ])(
    '[ALLOW-1] [ALLOW-4] hides every item of %s the config does not name',
    async (method, kept) => {
      const { send } = rig(() => LISTS[method] ?? {});
      await expect(send(message({ method, params: {} }))).resolves.toEqual(kept);
    },
  );

  it('[ALLOW-1] hides everything when the list is malformed, and keeps its other fields', async () => {
    const { send } = rig(() => ({ tools: { name: 'echo' }, nextCursor: 'c' }));
    await expect(send(message({ method: 'tools/list' }))).resolves.toEqual({
      tools: [],
      nextCursor: 'c',
    });
  });

  it('[ALLOW-3] hides the whole list of a server with no allowlist', async () => {
    const { send } = rig(() => ({ tools: [{ name: 'echo' }] }));
    await expect(send(message({ server: 'empty', method: 'tools/list' }))).resolves.toEqual({
      tools: [],
    });
  });
});

describe('when a server sends a request to the client', () => {
  const toClient = (method: string, server = 'a') =>
    message({ direction: 'to-client', method, server, params: {} });

  it('[ALLOW-6] denies elicitation and roots the config does not allow, before the client sees them', async () => {
    const { send, reached } = rig();
    for (const method of ['elicitation/create', 'roots/list', 'tools/call'])
      await expect(send(toClient(method))).rejects.toMatchObject({
        code: 'POLICY_SERVER_REQUEST_DENIED',
      });
    await expect(send(toClient('sampling/createMessage', 'empty'))).rejects.toMatchObject({
      code: 'POLICY_SERVER_REQUEST_DENIED',
    });
    expect(reached).toEqual([]);
  });

  it('[ALLOW-6] passes an allowed sampling request and ping, and leaves the answer alone', async () => {
    const answer = { tools: [{ name: 'rm' }] };
    const { send, reached } = rig(() => answer);
    await expect(send(toClient('sampling/createMessage'))).resolves.toBe(answer);
    await expect(send(toClient('ping', 'empty'))).resolves.toBe(answer);
    expect(reached).toHaveLength(2);
  });
});

describe('when a notification passes', () => {
  it('drops a resource update about a resource the config does not name', async () => {
    const { send, reached } = rig();
    const updated = (uri: unknown) =>
      message({ kind: 'notification', method: 'notifications/resources/updated', params: { uri } });
    await expect(send(updated('file:///etc/passwd'))).resolves.toEqual({});
    await expect(send(updated(7))).resolves.toEqual({});
    await send(updated('file:///ok'));
    expect(reached.map((m) => m.params['uri'])).toEqual(['file:///ok']);
  });

  it('passes other notifications in both directions untouched', async () => {
    const { send, reached } = rig();
    const notes = [
      message({
        kind: 'notification',
        method: 'notifications/cancelled',
        params: { requestId: 1 },
      }),
      message({
        kind: 'notification',
        direction: 'to-client',
        method: 'notifications/message',
        server: 'empty',
        params: { level: 'info', data: 'x' },
      }),
    ];
    for (const n of notes) await send(n);
    expect(reached).toEqual(notes);
  });
});
