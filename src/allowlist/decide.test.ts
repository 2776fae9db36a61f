import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { Message } from '../core/interceptor.js';
import { compileAllowlist } from './compile.js';
import { decideAllowlist, filterListResult } from './decide.js';

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
      b: { command: 'x', tools: ['*'] },
      c: { command: 'x' },
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

describe('decideAllowlist', () => {
  it('[ALLOW-2] allows only listed tools', () => {
    expect(decideAllowlist(allowlist, message({ params: { name: 'echo' } }))).toEqual({ ok: true });
    expect(decideAllowlist(allowlist, message({ params: { name: 'rm' } }))).toMatchObject({
      ok: false,
      code: 'POLICY_TOOL_DENIED',
    });
    expect(decideAllowlist(allowlist, message({ params: { name: 42 } }))).toMatchObject({
      ok: false,
    });
    expect(
      decideAllowlist(allowlist, message({ server: 'nobody', params: { name: 'echo' } })),
    ).toMatchObject({ ok: false });
  });

  it('[ALLOW-3] allows everything only with an explicit wildcard, nothing without a list', () => {
    expect(
      decideAllowlist(allowlist, message({ server: 'b', params: { name: 'anything' } })),
    ).toEqual({ ok: true });
    expect(
      decideAllowlist(allowlist, message({ server: 'c', params: { name: 'echo' } })),
    ).toMatchObject({ ok: false });
  });

  it('[ALLOW-5] covers prompts, resources and completions', () => {
    expect(
      decideAllowlist(allowlist, message({ method: 'prompts/get', params: { name: 'greet' } })),
    ).toEqual({ ok: true });
    expect(
      decideAllowlist(allowlist, message({ method: 'prompts/get', params: { name: 'x' } })),
    ).toMatchObject({ code: 'POLICY_PROMPT_DENIED' });
    expect(
      decideAllowlist(
        allowlist,
        message({ method: 'resources/read', params: { uri: 'file:///ok' } }),
      ),
    ).toEqual({ ok: true });
    expect(
      decideAllowlist(
        allowlist,
        message({ method: 'resources/subscribe', params: { uri: 'file:///etc/passwd' } }),
      ),
    ).toMatchObject({
      code: 'POLICY_RESOURCE_DENIED',
    });
    expect(
      decideAllowlist(
        allowlist,
        message({
          method: 'completion/complete',
          params: { ref: { type: 'ref/prompt', name: 'x' } },
        }),
      ),
    ).toMatchObject({ code: 'POLICY_PROMPT_DENIED' });
  });

  it('[ALLOW-6] denies server→client requests unless allowed', () => {
    const toClient = (server: string, method: string) =>
      message({ direction: 'to-client', server, method });
    expect(decideAllowlist(allowlist, toClient('a', 'sampling/createMessage'))).toEqual({
      ok: true,
    });
    expect(decideAllowlist(allowlist, toClient('a', 'elicitation/create'))).toMatchObject({
      code: 'POLICY_SERVER_REQUEST_DENIED',
    });
    expect(decideAllowlist(allowlist, toClient('b', 'roots/list'))).toMatchObject({
      code: 'POLICY_SERVER_REQUEST_DENIED',
    });
    expect(decideAllowlist(allowlist, toClient('b', 'anything/else'))).toMatchObject({
      code: 'POLICY_SERVER_REQUEST_DENIED',
    });
  });
});

describe('filterListResult', () => {
  it('[ALLOW-1] [ALLOW-4] keeps only allowed items, whatever the server sends', () => {
    const result = {
      tools: [{ name: 'echo' }, { name: 'sneaky' }, { nombre: 'echo' }, null, 'echo'],
      nextCursor: 'n',
    };
    expect(filterListResult(allowlist, 'a', 'tools/list', result)).toEqual({
      tools: [{ name: 'echo' }],
      nextCursor: 'n',
    });
    expect(filterListResult(allowlist, 'a', 'tools/list', { tools: 'not a list' })).toEqual({
      tools: [],
    });
    expect(filterListResult(allowlist, 'c', 'tools/list', { tools: [{ name: 'echo' }] })).toEqual({
      tools: [],
    });
    expect(
      filterListResult(allowlist, 'a', 'resources/templates/list', {
        resourceTemplates: [{ uriTemplate: 'file:///{x}' }],
      }),
    ).toEqual({
      resourceTemplates: [],
    });
  });
});
