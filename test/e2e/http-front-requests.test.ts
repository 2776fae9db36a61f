// Requests the HTTP front refuses before they reach a session or an upstream, and the sessions it
// keeps: on a gateway of their own, with the recording fixture behind it.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JSON_HEADERS,
  dataCode,
  messagesOf,
  newRecordFile,
  openLegacySession,
  raw,
  recording,
  startServe,
  tempDir,
  type ServeProcess,
} from './gateway-process.js';
import { eventually } from './harness.js';
import { MAX_BYTES, MAX_DEPTH, ping, SESSION_ID } from './http-front-rig.js';

let gateway: ServeProcess;
let recordFile: string;

beforeAll(async () => {
  recordFile = newRecordFile();
  gateway = await startServe({
    limits: { maxMessageBytes: MAX_BYTES, maxDepth: MAX_DEPTH },
    servers: { rec: { ...recording(recordFile), tools: ['echo'] } },
  });
});

afterAll(async () => gateway?.stop());

const recorded = (): string => readFileSync(recordFile, 'utf8');

describe('when the body is not one acceptable JSON-RPC message', () => {
  const post = (body: Uint8Array | string, headers: Record<string, string> = {}) =>
    raw(gateway.url, { headers: { ...JSON_HEADERS, ...headers }, body });

  it('[HTTP-3] [LIM-1] refuses an oversized body with 413 HTTP_BODY_TOO_LARGE', async () => {
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'rec__echo', arguments: { text: 'x'.repeat(MAX_BYTES) } },
    });
    const res = await post(big);
    expect(res.status).toBe(413);
    expect(dataCode(JSON.parse(res.text) as Record<string, unknown>)).toBe('HTTP_BODY_TOO_LARGE');
    // Also without a Content-Length (chunked): the cap holds while streaming.
    const chunked = await raw(gateway.url, {
      headers: { ...JSON_HEADERS, 'transfer-encoding': 'chunked' },
      body: big,
    });
    expect(chunked.status).toBe(413);
    expect(recorded()).not.toContain('x'.repeat(1000));
  });

  it('[HTTP-3] [FRM-2] refuses a JSON-RPC batch with LIMIT_BATCH_REJECTED', async () => {
    const res = await post(
      JSON.stringify([JSON.parse(ping), { jsonrpc: '2.0', id: 2, method: 'tools/list' }]),
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({
      id: null,
      error: { code: -32600, data: { code: 'LIMIT_BATCH_REJECTED' } },
    });
  });

  it('[HTTP-3] refuses a non-JSON Content-Type with 415', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const res = await post(ping, { 'content-type': type });
      expect(res.status).toBe(415);
      expect(dataCode(JSON.parse(res.text) as Record<string, unknown>)).toBe(
        'HTTP_UNSUPPORTED_MEDIA_TYPE',
      );
    }
    const missing = await raw(gateway.url, {
      headers: { accept: JSON_HEADERS.accept },
      body: ping,
    });
    expect(missing.status).toBe(415);
  });

  it('[FRM-1] answers malformed JSON with -32700 FRAME_PARSE_ERROR', async () => {
    const res = await post('{"jsonrpc":"2.0","id":3,"method":');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({
      error: { code: -32700, data: { code: 'FRAME_PARSE_ERROR' } },
    });
  });

  it('[FRM-1] answers invalid UTF-8 bytes with FRAME_INVALID_UTF8', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"jsonrpc":"2.0","id":4,"method":"ping","params":{"x":"'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('"}}'),
    ]);
    const res = await post(bytes);
    expect(res.status).toBe(400);
    expect(dataCode(JSON.parse(res.text) as Record<string, unknown>)).toBe('FRAME_INVALID_UTF8');
  });

  it('[FRM-1] answers an invalid envelope with FRAME_INVALID_JSONRPC and its id', async () => {
    const res = await post(JSON.stringify({ jsonrpc: '1.0', id: 'abc', method: 'ping' }));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({
      id: 'abc',
      error: { data: { code: 'FRAME_INVALID_JSONRPC' } },
    });
  });

  it('[LIM-2] refuses a too deeply nested message with LIMIT_TOO_DEEP and its id', async () => {
    const deep = `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"rec__echo","arguments":{"text":${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}}}}`;
    const res = await post(deep);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({
      id: 5,
      error: { data: { code: 'LIMIT_TOO_DEEP' } },
    });
  });

  it('refuses other paths and methods', async () => {
    expect(
      (await raw(gateway.url, { path: '/other', headers: JSON_HEADERS, body: ping })).status,
    ).toBe(404);
    const put = await raw(gateway.url, { method: 'PUT', headers: JSON_HEADERS, body: ping });
    expect(put.status).toBe(405);
    expect(dataCode(JSON.parse(put.text) as Record<string, unknown>)).toBe(
      'HTTP_METHOD_NOT_ALLOWED',
    );
  });
});

describe('when a request names a session', () => {
  const withSession = (session: string, extra: Record<string, string> = {}) => ({
    ...JSON_HEADERS,
    'mcp-session-id': session,
    'mcp-protocol-version': '2025-11-25',
    ...extra,
  });

  it('[HTTP-4] answers an unknown session id with 404 HTTP_SESSION_UNKNOWN', async () => {
    const res = await raw(gateway.url, { headers: withSession(randomUUID()), body: ping });
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text)).toMatchObject({
      id: 1,
      error: { data: { code: 'HTTP_SESSION_UNKNOWN' } },
    });
  });

  it("[HTTP-4] refuses another caller's session with 403 HTTP_SESSION_FORBIDDEN", async () => {
    const alice = { authorization: 'Bearer alice' };
    const session = await openLegacySession(gateway.url, alice);
    const own = await raw(gateway.url, { headers: withSession(session, alice), body: ping });
    expect(own.status).toBe(200);
    expect(messagesOf(own)).toEqual([{ jsonrpc: '2.0', id: 1, result: {} }]);
    for (const other of [{ authorization: 'Bearer mallory' }, {}]) {
      const res = await raw(gateway.url, { headers: withSession(session, other), body: ping });
      expect(res.status).toBe(403);
      expect(dataCode(JSON.parse(res.text) as Record<string, unknown>)).toBe(
        'HTTP_SESSION_FORBIDDEN',
      );
      const del = await raw(gateway.url, {
        method: 'DELETE',
        headers: withSession(session, other),
      });
      expect(del.status).toBe(403);
    }
    // The session survived the foreign attempts.
    expect(
      (await raw(gateway.url, { headers: withSession(session, alice), body: ping })).status,
    ).toBe(200);
  });

  it('[HTTP-4] gives every session a fresh random id', async () => {
    const ids = await Promise.all([1, 2, 3, 4].map(() => openLegacySession(gateway.url)));
    expect(new Set(ids).size).toBe(4);
  });

  it('opens the standalone SSE stream on GET and ends the session on DELETE', async () => {
    const session = await openLegacySession(gateway.url);
    const controller = new AbortController();
    const started = Date.now();
    const sse = await fetch(gateway.url, {
      headers: {
        accept: 'text/event-stream',
        'mcp-session-id': session,
        'mcp-protocol-version': '2025-11-25',
      },
      signal: controller.signal,
    });
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    // Headers are flushed at once, not held back until the first keep-alive (15 s).
    expect(Date.now() - started).toBeLessThan(5000);
    controller.abort();
    const del = await raw(gateway.url, { method: 'DELETE', headers: withSession(session) });
    expect(del.status).toBe(200);
    const after = await raw(gateway.url, { headers: withSession(session), body: ping });
    expect(after.status).toBe(404);
  });
});

describe('when sessions are limited', () => {
  let small: ServeProcess;
  beforeAll(async () => {
    small = await startServe({
      http: { maxSessions: 2, sessionIdleMs: 1000 },
      servers: { rec: { ...recording(join(tempDir(), 'r')), tools: ['echo'] } },
    });
  });
  afterAll(async () => small?.stop());

  const closeSession = (id: string) =>
    raw(small.url, {
      method: 'DELETE',
      headers: { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' },
    });

  it('refuses a session over maxSessions with 503, and frees the slot on DELETE', async () => {
    const first = await openLegacySession(small.url);
    const second = await openLegacySession(small.url);
    await expect(openLegacySession(small.url)).rejects.toThrow(/503.*HTTP_TOO_MANY_SESSIONS/);
    expect((await closeSession(first)).status).toBe(200);
    const third = await openLegacySession(small.url);
    expect(third).toMatch(SESSION_ID);
    // Free both slots for the next test.
    for (const id of [second, third]) expect((await closeSession(id)).status).toBe(200);
  });

  it('[HTTP-4] closes an idle session after sessionIdleMs', async () => {
    const session = await openLegacySession(small.url);
    const headers = {
      ...JSON_HEADERS,
      'mcp-session-id': session,
      'mcp-protocol-version': '2025-11-25',
    };
    const opened = Date.now();
    expect((await raw(small.url, { headers, body: ping })).status).toBe(200);
    // Another caller's probe is refused before it counts as use (403 while the session lives, 404
    // once it is gone), so polling with it watches the session expire without keeping it alive.
    const probe = { ...headers, authorization: 'Bearer someone-else' };
    const status = async () => (await raw(small.url, { headers: probe, body: ping })).status;
    expect(await status()).toBe(403);
    await eventually(async () => (await status()) === 404, 15_000);
    expect(Date.now() - opened).toBeGreaterThanOrEqual(1000);
    expect((await raw(small.url, { headers, body: ping })).status).toBe(404);
  });
});
