import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anyId,
  config,
  expectRefusal,
  hostile,
  MARKER,
  RUNS,
  type Message,
} from './fuzz-frames.js';
import {
  JSON_HEADERS,
  messagesOf,
  newRecordFile,
  openLegacySession,
  raw,
  startServe,
  type ServeProcess,
} from './gateway-process.js';

describe('when hostile requests hit the HTTP front', () => {
  let gw: ServeProcess;
  let recordFile: string;
  let session: string;
  const headers = () => ({
    ...JSON_HEADERS,
    'mcp-session-id': session,
    'mcp-protocol-version': '2025-11-25',
  });

  beforeAll(async () => {
    recordFile = newRecordFile();
    gw = await startServe(config(recordFile));
    session = await openLegacySession(gw.url);
  });
  afterAll(async () => gw?.stop());

  const expectHealthy = async () => {
    expect(gw.proc.exitCode).toBeNull();
    const ping = await raw(gw.url, {
      headers: headers(),
      body: JSON.stringify({ jsonrpc: '2.0', id: 'p', method: 'ping' }),
    });
    expect(messagesOf(ping)).toEqual([{ jsonrpc: '2.0', id: 'p', result: {} }]);
    const list = await raw(gw.url, {
      headers: headers(),
      body: JSON.stringify({ jsonrpc: '2.0', id: 'l', method: 'tools/list' }),
    });
    expect(
      (messagesOf(list)[0]?.['result'] as { tools: Array<{ name: string }> }).tools.map(
        (t) => t.name,
      ),
    ).toEqual(['rec__echo']);
    expect(readFileSync(recordFile, 'utf8')).not.toContain(MARKER);
  };

  it('[HTTP-3] [FRM-1] [FRM-2] [LIM-1] [LIM-2] refuses each hostile body with a stable code and forwards nothing', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, async (c) => {
        const res = await raw(gw.url, { headers: headers(), body: c.bytes });
        if (c.kind === 'oversized') {
          // Over HTTP the body cap answers first, before any id could be read (HTTP-3).
          expect(res.status).toBe(413);
          const { id: _id, ...withoutId } = c;
          expectRefusal(JSON.parse(res.text) as Message, withoutId, 'HTTP_BODY_TOO_LARGE');
          return;
        }
        const reachedSdk = c.kind === 'unknown-method' || c.kind === 'denied';
        expect(res.status).toBe(reachedSdk ? 200 : 400);
        expectRefusal(
          messagesOf(res).find((m) => 'error' in m),
          c,
        );
      }),
      { numRuns: RUNS },
    );
    await expectHealthy();
  });

  it('[FRM-1] survives duplicate ids in concurrent requests: each is answered', async () => {
    await fc.assert(
      fc.asyncProperty(anyId, fc.integer({ min: 2, max: 4 }), async (id, copies) => {
        const body = JSON.stringify({
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: { name: 'rec__echo', arguments: { text: 'dup' } },
        });
        const answers = await Promise.all(
          Array.from({ length: copies }, () => raw(gw.url, { headers: headers(), body })),
        );
        for (const res of answers) {
          expect(res.status).toBeLessThan(500);
          for (const m of messagesOf(res)) expect(m['id']).toEqual(id);
        }
      }),
      { numRuns: 15 },
    );
    await expectHealthy();
  });

  it('[HTTP-3] [FRM-1] survives a bounded flood of hostile and valid requests', async () => {
    const cases = fc.sample(fc.oneof(hostile, fc.constant(undefined)), 300);
    const results: number[] = [];
    for (let i = 0; i < cases.length; i += 25)
      results.push(
        ...(await Promise.all(
          cases.slice(i, i + 25).map(async (c, j) => {
            const body = c
              ? c.bytes
              : JSON.stringify({ jsonrpc: '2.0', id: `f${i + j}`, method: 'ping' });
            return (await raw(gw.url, { headers: headers(), body })).status;
          }),
        )),
      );
    expect(results.filter((s) => s >= 500 || s === 0)).toEqual([]);
    expect(results.filter((s) => s === 200).length).toBeGreaterThanOrEqual(
      cases.filter((c) => c === undefined).length,
    );
    await expectHealthy();
  });
});
