import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entriesOf } from './audit-log.js';
import {
  JSON_HEADERS,
  everything,
  messagesOf,
  raw,
  startServe,
  type RawResponse,
  type ServeProcess,
} from './gateway-process.js';
import { eventually } from './harness.js';

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

/** A 2026-07-28 `tools/call` as a raw request; `extraMeta` (a progress token) sends it down the SDK path. */
const call = (url: string, id: number, name: string, extraMeta: object = {}) =>
  raw(url, {
    headers: {
      ...JSON_HEADERS,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': name,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name, arguments: { message: 'hi' }, _meta: { ...ENVELOPE, ...extraMeta } },
    }),
  });

/** The answer without its id, and whether the fast path wrote it (Content-Length; the SDK's streams chunked). */
const answerOf = (res: RawResponse) => {
  const { id: _id, ...rest } = messagesOf(res)[0] ?? {};
  return { status: res.status, fast: res.headers['content-length'] !== undefined, answer: rest };
};

/**
 * `toolgate serve` in front of server-everything, 2026-07-28 (stateless) calls by raw HTTP: a plain
 * call takes the stateless fast path, the same call with a progress token the SDK's per-request
 * server. Both answer alike, and the audit log holds the same entries for both.
 */
describe('toolgate serve: a plain 2026-07-28 call on the stateless fast path', () => {
  let gateway: ServeProcess;
  beforeAll(async () => {
    gateway = await startServe({ servers: { everything: { ...everything, tools: ['echo'] } } });
  }, 60_000);
  afterAll(async () => {
    await gateway?.stop();
  });

  it('[HTTP-9] answers as the SDK path answers, denials with their code, and audits both alike', async () => {
    const url = gateway.url;
    // The upstream is listed once it started: until then the gateway knows no such tool.
    await eventually(
      async () => 'result' in answerOf(await call(url, 1, 'everything__echo')).answer,
    );
    const fast = answerOf(await call(url, 10, 'everything__echo'));
    const sdk = answerOf(await call(url, 11, 'everything__echo', { progressToken: 'p' }));
    expect(fast.fast).toBe(true);
    expect(sdk.fast).toBe(false);
    expect(fast.answer).toEqual(sdk.answer);
    expect(JSON.stringify(fast.answer)).toContain('Echo: hi');
    const deniedFast = answerOf(await call(url, 20, 'everything__get-sum'));
    const deniedSdk = answerOf(await call(url, 21, 'everything__get-sum', { progressToken: 'p' }));
    expect(deniedFast.fast).toBe(true);
    expect(deniedFast.answer).toEqual(deniedSdk.answer);
    expect(deniedFast.answer).toMatchObject({ error: { data: { code: 'POLICY_TOOL_DENIED' } } });
    // The last six entries: forward and result of each allowed call, then each denial.
    const entries = entriesOf(dirname(gateway.configFile))
      .slice(-6)
      .map(({ call: _c, prev: _p, seq: _s, time: _t, latencyUs: _l, ...stable }) => stable);
    expect(entries.map((e) => e.decision)).toEqual([
      'forward',
      'result',
      'forward',
      'result',
      'deny',
      'deny',
    ]);
    expect(entries.slice(0, 2)).toEqual(entries.slice(2, 4));
    expect(entries[4]).toEqual(entries[5]);
  });
});
