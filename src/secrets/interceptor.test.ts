import { describe, expect, it } from 'vitest';
import type { ContentEvent } from '../core/content-event.js';
import { compose, type Message, type Next, type Result } from '../core/interceptor.js';
import { redactSecrets } from './interceptor.js';
import { createSecretScanner } from './scan.js';

const SECRET = 'correct-horse-battery-9137';
const GITHUB = `ghp_${'a1B2c3D4e5'.repeat(3)}abcdef`;

const message = (over: Partial<Message>): Message => ({
  kind: 'request',
  direction: 'to-server',
  method: 'tools/call',
  params: { name: 'echo', arguments: { text: 'hi' } },
  server: 's',
  principal: { id: 't', transport: 'stdio' },
  signal: new AbortController().signal,
  ...over,
});

/** The secrets defense alone, over a terminal that answers `answer` and records what reached it. */
const rig = (
  answer: (m: Message) => Result = () => ({ content: [{ type: 'text', text: 'ok' }] }),
) => {
  const reached: Message[] = [];
  const events: { event: ContentEvent; message: Message | undefined }[] = [];
  const serve = (m: Message): Result => {
    reached.push(m);
    return answer(m);
  };
  const terminal: Next = (m) => Promise.resolve(serve(m));
  const defense = redactSecrets(createSecretScanner([SECRET]), (event, m) =>
    events.push({ event, message: m }),
  );
  return { send: compose([defense], terminal), reached, events };
};

describe('when an agent sends a credential to a server', () => {
  it.each([
    ['a configured secret', { arguments: { text: `use ${SECRET}` } }],
    ['its base64 form', { arguments: { text: Buffer.from(SECRET).toString('base64') } }],
    ['a GitHub token', { arguments: { token: GITHUB } }],
  ])('[SEC-2] refuses %s in the arguments, and nothing reaches the server', async (_, params) => {
    const { send, reached, events } = rig();
    const call = message({ params: { name: 'echo', ...params } });
    await expect(send(call)).rejects.toMatchObject({ code: 'LEAK_SECRET_IN_ARGUMENTS' });
    expect(reached).toEqual([]);
    expect(events).toEqual([
      {
        event: expect.objectContaining({
          defense: 'secrets',
          action: 'block',
          method: 'tools/call',
        }) as ContentEvent,
        message: call,
      },
    ]);
    expect(JSON.stringify(events.map((e) => e.event))).not.toContain(SECRET);
  });

  it('[CNT-4] [CNT-2] refuses one in a key, in _meta, in a URI and in a completion value', async () => {
    const { send, reached } = rig();
    const leaks: Partial<Message>[] = [
      { params: { name: 'echo', arguments: { [SECRET]: 'x' } } },
      { params: { name: 'echo', arguments: {}, _meta: { trace: SECRET } } },
      { method: 'resources/read', params: { uri: `https://x.example/?k=${SECRET}` } },
      {
        method: 'completion/complete',
        params: { ref: { type: 'ref/prompt', name: 'p' }, argument: { name: 'a', value: SECRET } },
      },
    ];
    for (const over of leaks)
      await expect(send(message(over))).rejects.toMatchObject({ code: 'LEAK_SECRET_IN_ARGUMENTS' });
    expect(reached).toEqual([]);
  });

  it('passes a clean call as the very same message, with no event', async () => {
    const { send, reached, events } = rig();
    const call = message({});
    await send(call);
    expect(reached[0]).toBe(call);
    expect(events).toEqual([]);
  });
});

describe('when a server sends back a credential', () => {
  it('[SEC-1] [MSG-3] redacts it from a result, its _meta included, and reports the rule only', async () => {
    const { send, events } = rig(() => ({
      content: [{ type: 'text', text: `key: ${SECRET}` }],
      _meta: { echo: GITHUB },
    }));
    await expect(send(message({}))).resolves.toEqual({
      content: [{ type: 'text', text: 'key: [REDACTED:configured-secret]' }],
      _meta: { echo: '[REDACTED:github-token]' },
    });
    expect(events.map((e) => e.event)).toEqual([
      {
        kind: 'content',
        defense: 'secrets',
        action: 'redact',
        server: 's',
        method: 'tools/call',
        reasons: [
          { rule: 'configured-secret', span: '[REDACTED]' },
          { rule: 'github-token', span: '[REDACTED]' },
        ],
      },
    ]);
    expect(JSON.stringify(events.map((e) => e.event))).not.toContain(SECRET);
  });

  it('[SEC-1] finds a secret split by hidden characters', async () => {
    const split = `${SECRET.slice(0, 5)}\u200b${SECRET.slice(5)}`;
    const { send } = rig(() => ({ content: [{ type: 'text', text: split }] }));
    await expect(send(message({}))).resolves.toEqual({
      content: [{ type: 'text', text: '[REDACTED:configured-secret]' }],
    });
  });

  it('redacts every list and read alike', async () => {
    const { send } = rig((m) =>
      m.method === 'tools/list'
        ? { tools: [{ name: 'echo', description: `token ${SECRET}` }] }
        : { contents: [{ uri: 'file:///x', text: SECRET }] },
    );
    const list = await send(message({ method: 'tools/list', params: {} }));
    expect(JSON.stringify(list)).not.toContain(SECRET);
    const read = await send(message({ method: 'resources/read', params: { uri: 'file:///x' } }));
    expect(JSON.stringify(read)).not.toContain(SECRET);
  });

  it('[SEC-1] redacts a server→client request before the client sees it', async () => {
    const { send, reached, events } = rig(() => ({
      role: 'assistant',
      content: { type: 'text', text: 'ok' },
    }));
    const sampling = message({
      direction: 'to-client',
      method: 'sampling/createMessage',
      params: { messages: [{ role: 'user', content: { type: 'text', text: `say ${SECRET}` } }] },
    });
    await send(sampling);
    expect(JSON.stringify(reached[0]?.params)).not.toContain(SECRET);
    expect(reached[0]?.params).toEqual({
      messages: [
        { role: 'user', content: { type: 'text', text: 'say [REDACTED:configured-secret]' } },
      ],
    });
    expect(events.map((e) => e.event.action)).toEqual(['redact']);
  });

  it('[SEC-1] redacts a server notification (a log) before the client sees it', async () => {
    const { send, reached } = rig(() => ({}));
    await send(
      message({
        kind: 'notification',
        direction: 'to-client',
        method: 'notifications/message',
        params: { level: 'info', data: { line: SECRET } },
      }),
    );
    expect(reached[0]?.params).toEqual({
      level: 'info',
      data: { line: '[REDACTED:configured-secret]' },
    });
  });

  it('[CNT-4] refuses the client answer to a server request when it holds a credential', async () => {
    const { send, events } = rig(() => ({ action: 'accept', content: { password: SECRET } }));
    const elicit = message({ direction: 'to-client', method: 'elicitation/create', params: {} });
    await expect(send(elicit)).rejects.toMatchObject({ code: 'LEAK_SECRET_IN_ARGUMENTS' });
    expect(events.map((e) => e.event.action)).toEqual(['block']);
  });
});
