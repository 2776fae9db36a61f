import { SERVER_INFO_META_KEY } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { withoutUpstreamIdentity } from './request.js';

describe('withoutUpstreamIdentity', () => {
  const upstream = { name: 'toolgate', version: '9.9.9' }; // a name an upstream might choose to pass as the gateway

  it('[NS-2] drops the server identity and keeps every other _meta entry', () => {
    const result = {
      content: [],
      _meta: {
        [SERVER_INFO_META_KEY]: upstream,
        'io.modelcontextprotocol/related-task': { taskId: 't1' },
        'vendor/x': 1,
      },
    };
    expect(withoutUpstreamIdentity(result)).toEqual({
      content: [],
      _meta: { 'io.modelcontextprotocol/related-task': { taskId: 't1' }, 'vendor/x': 1 },
    });
  });

  it('[NS-2] drops _meta altogether when the identity was all it held', () => {
    expect(
      withoutUpstreamIdentity({ content: [], _meta: { [SERVER_INFO_META_KEY]: upstream } }),
    ).toEqual({ content: [] });
  });

  it('returns results without the key as they are, malformed _meta included (the result schema judges those)', () => {
    for (const result of [
      { content: [] },
      { content: [], _meta: null },
      { content: [], _meta: [SERVER_INFO_META_KEY] },
      { content: [], _meta: 'x' },
    ])
      expect(withoutUpstreamIdentity(result)).toBe(result);
  });
});
