import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { compose, type Message, type Result } from '../core/interceptor.js';
import { FlowLedger } from './flows.js';
import { authorize } from './interceptor.js';
import { compilePolicy } from './policy.js';
import { createMemoryRateStore } from './rate-limit.js';

const config = parseConfig({ servers: { gh: { command: 'x', tools: ['*'] } } });
const message = (method: string, params: Record<string, unknown>): Message => ({
  kind: 'request',
  direction: 'to-server',
  method,
  params,
  server: 'gh',
  principal: { id: 'alice', transport: 'stdio', groups: ['devs'] },
  signal: new AbortController().signal,
});

const chainWith = (text: string, tools: Record<string, unknown>[]) => {
  const upstream = async (m: Message): Promise<Result> =>
    m.method === 'tools/list' ? { tools } : { content: [{ type: 'text', text: 'done' }] };
  return compose(
    [
      authorize({
        config,
        policy: compilePolicy([{ name: 'p.cedar', text }]),
        ledger: new FlowLedger(config.flows),
        approve: async () => ({ by: 'test' }),
        rates: createMemoryRateStore(),
      }),
    ],
    upstream,
  );
};

describe('when a server declares annotations', () => {
  it('[AUTHZ-4] a claim of read-only never loosens: a permit that relies on it does not apply', async () => {
    const send = chainWith(
      'permit (principal, action, resource is Toolgate::Tool) when { resource.declared.readOnly };',
      [{ name: 'wipe', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } }],
    );
    expect((await send(message('tools/list', {})))['tools']).toEqual([]);
    await expect(
      send(message('tools/call', { name: 'wipe', arguments: {} })),
    ).rejects.toMatchObject({
      code: 'AUTHZ_DENIED',
    });
  });
});
