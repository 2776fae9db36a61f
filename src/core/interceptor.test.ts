import { describe, expect, it } from 'vitest';
import { PolicyError } from '../errors.js';
import { itemId } from './content-event.js';
import { compose, type Interceptor, type Message, type Next } from './interceptor.js';

const message: Message = {
  kind: 'request',
  direction: 'to-server',
  method: 'tools/call',
  params: { name: 'echo' },
  server: 's',
  principal: { id: 't', transport: 'stdio' },
  signal: new AbortController().signal,
};

/** An interceptor that records its name on the way in and out. */
const tracing =
  (name: string, trace: string[]): Interceptor =>
  async (m, next) => {
    trace.push(`${name}>`);
    const result = await next(m);
    trace.push(`<${name}`);
    return result;
  };

describe('when interceptors are composed', () => {
  it('runs the first element outermost and the terminal last', async () => {
    const trace: string[] = [];
    const terminal: Next = (m) => {
      trace.push('terminal');
      return Promise.resolve({ method: m.method });
    };
    const send = compose([tracing('a', trace), tracing('b', trace)], terminal);
    await expect(send(message)).resolves.toEqual({ method: 'tools/call' });
    expect(trace).toEqual(['a>', 'b>', 'terminal', '<b', '<a']);
  });

  it('is the terminal itself when the chain is empty', () => {
    const terminal: Next = () => Promise.resolve({});
    expect(compose([], terminal)).toBe(terminal);
  });

  it('passes on the message an interceptor hands to next, not the original', async () => {
    const rename: Interceptor = (m, next) => next({ ...m, params: { name: 'renamed' } });
    const send = compose([rename], (m) => Promise.resolve(m.params));
    await expect(send(message)).resolves.toEqual({ name: 'renamed' });
  });

  it('stops at an interceptor that throws: the code reaches the caller, later ones never run', async () => {
    const trace: string[] = [];
    const deny: Interceptor = () =>
      Promise.reject(new PolicyError('POLICY_TOOL_DENIED', 'tool "echo" is not allowed'));
    const send = compose([tracing('outer', trace), deny, tracing('inner', trace)], () => {
      trace.push('terminal');
      return Promise.resolve({});
    });
    await expect(send(message)).rejects.toMatchObject({ code: 'POLICY_TOOL_DENIED' });
    expect(trace).toEqual(['outer>']);
  });

  it('builds each call afresh: a composed chain serves concurrent messages independently', async () => {
    const send = compose([tracing('a', [])], (m) => Promise.resolve({ name: m.params['name'] }));
    const results = await Promise.all(
      ['x', 'y', 'z'].map((name) => send({ ...message, params: { name } })),
    );
    expect(results).toEqual([{ name: 'x' }, { name: 'y' }, { name: 'z' }]);
  });
});

describe('when naming a listed definition', () => {
  it.each([
    ['tools/list', { name: 'echo' }, 'tool:echo'],
    ['prompts/list', { name: 'greet' }, 'prompt:greet'],
    ['resources/list', { uri: 'file:///x', name: 'x' }, 'resource:file:///x'],
    ['resources/templates/list', { uriTemplate: 'file:///{p}' }, 'template:file:///{p}'],
  ])('names an item of %s by its key', (method, item, id) => expect(itemId(method, item)).toBe(id));

  it('names nothing for another method or an item without a string key', () => {
    expect(itemId('tools/call', { name: 'echo' })).toBeUndefined();
    expect(itemId('tools/list', { name: 7 })).toBeUndefined();
    expect(itemId('resources/list', { name: 'x' })).toBeUndefined();
  });
});
