import { describe, expect, it } from 'vitest';
import type { ContentEvent } from '../core/content-event.js';
import { compose, type Message, type Next, type Result } from '../core/interceptor.js';
import { sanitizeText } from './interceptor.js';

const ZW = '\u200b';
const TAG = String.fromCodePoint(0xe0041); // an invisible Unicode tag "A"
const ANSI = '\x1b[2K\x1b[1A';

const message = (over: Partial<Message>): Message => ({
  kind: 'request',
  direction: 'to-server',
  method: 'tools/call',
  params: { name: 'echo', arguments: { text: `a${ZW}b` } },
  server: 's',
  principal: { id: 't', transport: 'stdio' },
  signal: new AbortController().signal,
  ...over,
});

/** The sanitizer alone, over a terminal that answers `answer` and records what reached it. */
const rig = (mode: 'strip' | 'block', answer: (m: Message) => Result = () => ({})) => {
  const reached: Message[] = [];
  const events: ContentEvent[] = [];
  const serve = (m: Message): Result => {
    reached.push(m);
    return answer(m);
  };
  const terminal: Next = (m) => Promise.resolve(serve(m));
  const send = compose([sanitizeText(mode, (event) => events.push(event))], terminal);
  return { send, reached, events };
};

const text = (t: string): Result => ({ content: [{ type: 'text', text: t }] });

describe('when a server sends hidden characters in a result', () => {
  it('[SAN-1] strips ANSI, zero-width and tag characters (keys too) and reports them', async () => {
    const { send, events } = rig('strip', () => ({
      content: [{ type: 'text', text: `ok${ZW}${ANSI}!${TAG}` }],
      structuredContent: { [`k${ZW}ey`]: 'v' },
    }));
    await expect(send(message({}))).resolves.toEqual({
      content: [{ type: 'text', text: 'ok!' }],
      structuredContent: { key: 'v' },
    });
    expect(events).toEqual([
      expect.objectContaining({
        kind: 'content',
        defense: 'sanitize',
        action: 'strip',
        server: 's',
        method: 'tools/call',
        reasons: [{ rule: 'hidden-characters', span: expect.stringMatching(/^5 × /) as string }],
      }),
    ]);
  });

  it.each(['resources/read', 'prompts/get'])('[SAN-1] strips the result of %s', async (method) => {
    const { send } = rig('strip', () => ({ contents: [{ uri: 'file:///x', text: `a${ZW}b` }] }));
    await expect(send(message({ method, params: {} }))).resolves.toEqual({
      contents: [{ uri: 'file:///x', text: 'ab' }],
    });
  });

  it('[SAN-2] refuses it in block mode', async () => {
    const { send, events } = rig('block', () => text(`a${ZW}b`));
    await expect(send(message({}))).rejects.toMatchObject({ code: 'SANITIZE_HIDDEN_TEXT' });
    expect(events.map((e) => e.action)).toEqual(['block']);
  });

  it('leaves a clean result, binary data and emoji joiners as they are, with no event', async () => {
    const clean = {
      content: [
        { type: 'text', text: 'family: 👨\u200d👩\u200d👧' },
        { type: 'image', data: 'AAAA', mimeType: 'image/png' },
      ],
    };
    const { send, events } = rig('block', () => clean);
    await expect(send(message({}))).resolves.toBe(clean);
    expect(events).toEqual([]);
  });

  it('leaves results it does not show the model alone (ping, completions)', async () => {
    const { send } = rig('block', () => ({ completion: { values: [`a${ZW}`] } }));
    await expect(send(message({ method: 'completion/complete', params: {} }))).resolves.toEqual({
      completion: { values: [`a${ZW}`] },
    });
  });

  it('passes the agent’s own requests and notifications on untouched', async () => {
    const { send, reached } = rig('block', () => ({}));
    const call = message({});
    const cancel = message({
      kind: 'notification',
      method: 'notifications/cancelled',
      params: { reason: ZW },
    });
    await send(call);
    await send(cancel);
    expect(reached).toEqual([call, cancel]);
  });
});

describe('when a server lists definitions with hidden characters', () => {
  const list = () => ({
    tools: [
      { name: 'echo', description: 'Echoes.' },
      { name: 'evil', description: `Reads.${TAG}${TAG}` },
    ],
    nextCursor: 'c',
  });

  it('[SAN-1] strips them from every item in strip mode', async () => {
    const { send, events } = rig('strip', list);
    await expect(send(message({ method: 'tools/list', params: {} }))).resolves.toEqual({
      tools: [
        { name: 'echo', description: 'Echoes.' },
        { name: 'evil', description: 'Reads.' },
      ],
      nextCursor: 'c',
    });
    expect(events.map((e) => e.action)).toEqual(['strip']);
  });

  it('[SAN-2] hides only the affected items in block mode, each with a hide event', async () => {
    const { send, events } = rig('block', list);
    await expect(send(message({ method: 'tools/list', params: {} }))).resolves.toEqual({
      tools: [{ name: 'echo', description: 'Echoes.' }],
      nextCursor: 'c',
    });
    expect(events).toEqual([expect.objectContaining({ action: 'hide', item: 'tool:evil' })]);
  });

  it.each([
    ['prompts/list', 'prompts', 'name', 'prompt:'],
    ['resources/list', 'resources', 'uri', 'resource:'],
    ['resources/templates/list', 'resourceTemplates', 'uriTemplate', 'template:'],
  ])('[SAN-2] hides affected items of %s', async (method, field, key, prefix) => {
    const { send, events } = rig('block', () => ({
      [field]: [{ [key]: 'ok' }, { [key]: 'bad', description: `x${ZW}` }],
    }));
    await expect(send(message({ method, params: {} }))).resolves.toEqual({
      [field]: [{ [key]: 'ok' }],
    });
    expect(events.map((e) => e.item)).toEqual([`${prefix}bad`]);
  });
});

describe('when a server sends a request or a notification towards the client', () => {
  const sampling = message({
    direction: 'to-client',
    method: 'sampling/createMessage',
    params: { messages: [{ role: 'user', content: { type: 'text', text: `hi${ANSI}` } }] },
  });

  it('[SAN-1] strips hidden characters before the client sees the request', async () => {
    const { send, reached, events } = rig('strip', () => ({ role: 'assistant' }));
    await expect(send(sampling)).resolves.toEqual({ role: 'assistant' });
    expect(reached[0]?.params).toEqual({
      messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }],
    });
    expect(events.map((e) => [e.action, e.method])).toEqual([['strip', 'sampling/createMessage']]);
  });

  it('[SAN-2] refuses it in block mode, and the client never sees it', async () => {
    const { send, reached } = rig('block');
    await expect(send(sampling)).rejects.toMatchObject({ code: 'SANITIZE_HIDDEN_TEXT' });
    const log = message({
      kind: 'notification',
      direction: 'to-client',
      method: 'notifications/message',
      params: { level: 'info', data: `x${ZW}` },
    });
    await expect(send(log)).rejects.toMatchObject({ code: 'SANITIZE_HIDDEN_TEXT' });
    expect(reached).toEqual([]);
  });

  it('passes a clean one as the very same message', async () => {
    const { send, reached, events } = rig('block');
    const clean = message({ direction: 'to-client', method: 'roots/list', params: {} });
    await send(clean);
    expect(reached[0]).toBe(clean);
    expect(events).toEqual([]);
  });
});
