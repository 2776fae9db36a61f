import { describe, expect, it } from 'vitest';
import type { ContentEvent } from '../core/content-event.js';
import { compose, type Message, type Next, type Result } from '../core/interceptor.js';
import { validateOutput } from './interceptor.js';
import type { OutputLimits } from './validate.js';

const LIMITS: OutputLimits = {
  maxBytes: 4096,
  maxDepth: 8,
  maxItems: 50,
  maxSchemaBytes: 2048,
  allowSchemes: [],
};
const COUNT = {
  name: 'count',
  inputSchema: { type: 'object' },
  outputSchema: {
    type: 'object',
    properties: { n: { type: 'number' } },
    required: ['n'],
  },
};
const ECHO = { name: 'echo', inputSchema: { type: 'object' } };

const message = (over: Partial<Message>): Message => ({
  kind: 'request',
  direction: 'to-server',
  method: 'tools/call',
  params: { name: 'count', arguments: {} },
  server: 's',
  principal: { id: 't', transport: 'stdio' },
  signal: new AbortController().signal,
  ...over,
});
const call = (name: string) => message({ params: { name, arguments: {} } });

/**
 * The output validator alone over a server that lists `tools` (in pages of one when `paged`) and
 * answers every call with `answer`; records every method that reached it.
 */
const rig = (
  answer: (m: Message) => Result,
  options: {
    tools?: Record<string, unknown>[];
    paged?: boolean;
    limits?: Partial<OutputLimits>;
  } = {},
) => {
  const tools = options.tools ?? [COUNT, ECHO];
  const reached: string[] = [];
  const events: ContentEvent[] = [];
  const serve = (m: Message): Result => {
    reached.push(m.method);
    if (m.method !== 'tools/list') return answer(m);
    if (!options.paged) return { tools };
    const page = Number(m.params['cursor'] ?? 0);
    return {
      tools: tools.slice(page, page + 1),
      ...(page + 1 < tools.length && { nextCursor: String(page + 1) }),
    };
  };
  const terminal: Next = (m) => Promise.resolve(serve(m));
  const defense = validateOutput({ ...LIMITS, ...options.limits }, (event) => events.push(event));
  return { send: compose([defense], terminal), reached, events };
};

describe('when a tool declares an outputSchema', () => {
  it('[OUT-1] refuses structuredContent that does not match it, with a block event', async () => {
    const { send, events } = rig(() => ({ content: [], structuredContent: { n: 'three' } }));
    await expect(send(call('count'))).rejects.toMatchObject({ code: 'OUTPUT_SCHEMA_MISMATCH' });
    expect(events).toEqual([
      expect.objectContaining({
        kind: 'content',
        defense: 'output',
        action: 'block',
        method: 'tools/call',
        reasons: [expect.objectContaining({ rule: 'OUTPUT_SCHEMA_MISMATCH' })],
      }),
    ]);
  });

  it('[OUT-1] refuses a result without structuredContent', async () => {
    const { send } = rig(() => ({ content: [{ type: 'text', text: '3' }] }));
    await expect(send(call('count'))).rejects.toMatchObject({ code: 'OUTPUT_SCHEMA_MISMATCH' });
  });

  it('[OUT-1] refuses every call to a tool whose schema cannot be compiled', async () => {
    const bad = { ...COUNT, outputSchema: { type: 'object', properties: { n: { type: 12 } } } };
    const { send } = rig(() => ({ structuredContent: { n: 1 } }), { tools: [bad] });
    await expect(send(call('count'))).rejects.toMatchObject({ code: 'OUTPUT_SCHEMA_INVALID' });
  });

  it('passes a matching result, and a tool error, unchanged', async () => {
    const ok = { content: [], structuredContent: { n: 3 } };
    const { send } = rig((m) => (m.params['arguments'] ? ok : { isError: true, content: [] }));
    await expect(send(call('count'))).resolves.toBe(ok);
    await expect(send(message({ params: { name: 'count' } }))).resolves.toEqual({
      isError: true,
      content: [],
    });
  });

  it('[OUT-1] fetches the schemas once, every page of them, when the agent calls before listing', async () => {
    const { send, reached } = rig(() => ({ structuredContent: { n: 'x' } }), {
      tools: [ECHO, COUNT],
      paged: true,
    });
    await expect(send(call('count'))).rejects.toMatchObject({ code: 'OUTPUT_SCHEMA_MISMATCH' });
    await expect(send(call('count'))).rejects.toMatchObject({ code: 'OUTPUT_SCHEMA_MISMATCH' });
    expect(reached).toEqual(['tools/list', 'tools/list', 'tools/call', 'tools/call']);
  });

  it('[OUT-1] learns the schemas from a list the agent makes, and a fresh list replaces them', async () => {
    const tools: Record<string, unknown>[] = [COUNT];
    const { send, reached } = rig(() => ({ structuredContent: { n: 'x' } }), { tools });
    await send(message({ method: 'tools/list', params: {} }));
    await expect(send(call('count'))).rejects.toMatchObject({ code: 'OUTPUT_SCHEMA_MISMATCH' });
    tools[0] = { name: 'count', inputSchema: { type: 'object' } };
    await send(message({ method: 'tools/list', params: {} }));
    await expect(send(call('count'))).resolves.toEqual({ structuredContent: { n: 'x' } });
    expect(reached).toEqual(['tools/list', 'tools/call', 'tools/list', 'tools/call']);
  });

  it('does not check a tool without an outputSchema', async () => {
    const { send } = rig(() => ({ content: [{ type: 'text', text: 'hi' }] }));
    await expect(send(call('echo'))).resolves.toEqual({ content: [{ type: 'text', text: 'hi' }] });
  });
});

describe('when a result crosses a cap', () => {
  it.each([
    ['OUTPUT_TOO_LARGE', { content: [{ type: 'text', text: 'x'.repeat(5000) }] }],
    [
      'OUTPUT_TOO_DEEP',
      {
        content: [{ type: 'text', text: 'x', _meta: { a: { b: { c: { d: { e: { f: {} } } } } } } }],
      },
    ],
    [
      'OUTPUT_TOO_MANY_ITEMS',
      { content: Array.from({ length: 60 }, () => ({ type: 'text', text: '' })) },
    ],
  ])('[OUT-3] refuses it with %s', async (code, result) => {
    const { send, events } = rig(() => result);
    await expect(send(call('echo'))).rejects.toMatchObject({ code });
    expect(events.map((e) => e.action)).toEqual(['block']);
  });

  it.each(['resources/read', 'prompts/get'])(
    '[OUT-3] checks the result of %s too',
    async (method) => {
      const { send } = rig(() => ({ contents: [{ uri: 'x:y', text: 'x'.repeat(5000) }] }));
      await expect(send(message({ method, params: {} }))).rejects.toMatchObject({
        code: 'OUTPUT_TOO_LARGE',
      });
    },
  );

  it('does not cap lists and other results', async () => {
    const big = { completion: { values: ['x'.repeat(5000)] } };
    const { send } = rig(() => big);
    await expect(send(message({ method: 'completion/complete', params: {} }))).resolves.toBe(big);
  });
});

describe('when a result links a resource', () => {
  const link = (uri: string): Result => ({ content: [{ type: 'resource_link', uri, name: 'r' }] });

  it.each(['file:///etc/passwd', 'JavaScript:alert(1)', ' java\nscript:x', 'data:text/html,x'])(
    '[OUT-2] refuses the denied scheme of %j',
    async (uri) => {
      const { send } = rig(() => link(uri));
      await expect(send(call('echo'))).rejects.toMatchObject({ code: 'OUTPUT_URI_DENIED' });
    },
  );

  it('[OUT-2] refuses an embedded resource with a denied scheme', async () => {
    const { send } = rig(() => ({
      content: [{ type: 'resource', resource: { uri: 'file:///x', text: 'x' } }],
    }));
    await expect(send(call('echo'))).rejects.toMatchObject({ code: 'OUTPUT_URI_DENIED' });
  });

  it('[OUT-2] passes an allowed scheme and an https link', async () => {
    const { send } = rig(
      (m) => link(m.params['name'] === 'echo' ? 'file:///x' : 'https://x.example'),
      {
        limits: { allowSchemes: ['file'] },
      },
    );
    await expect(send(call('echo'))).resolves.toEqual(link('file:///x'));
    await expect(send(call('other'))).resolves.toEqual(link('https://x.example'));
  });
});

describe('when a message is not a request to a server', () => {
  it('passes server→client requests and notifications unchecked', async () => {
    const huge = { content: [{ type: 'text', text: 'x'.repeat(5000) }] };
    const { send, reached } = rig(() => huge);
    await expect(
      send(message({ direction: 'to-client', method: 'sampling/createMessage', params: {} })),
    ).resolves.toBe(huge);
    await send(message({ kind: 'notification', method: 'notifications/cancelled', params: {} }));
    expect(reached).toEqual(['sampling/createMessage', 'notifications/cancelled']);
  });
});
