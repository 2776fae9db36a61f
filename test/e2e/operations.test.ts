import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JSON_HEADERS,
  dataCode,
  everything,
  messagesOf,
  openLegacySession,
  raw,
  startServe,
  type ServeProcess,
} from './gateway-process.js';
import { eventually } from './harness.js';

/** A GET of `path` on the listener of `url`, as a scraper or a probe sends it. */
const get = (url: string, path: string) => raw(url, { method: 'GET', path });

/** The value of one sample line of a Prometheus text exposition, or undefined. */
const sample = (text: string, line: string): number | undefined => {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
};

const callBody = (id: number, name: string) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name, arguments: { message: 'hi' } },
  });

describe('toolgate serve: health, readiness and metrics on the MCP listener', () => {
  let gateway: ServeProcess;
  beforeAll(async () => {
    gateway = await startServe({
      servers: {
        everything: { ...everything, tools: ['echo'] },
        // Exits at once, every time: never ready.
        broken: { command: 'node', args: ['-e', 'process.exit(3)'], tools: ['x'] },
      },
    });
  }, 60_000);
  afterAll(async () => {
    await gateway?.stop();
  });

  it('answers /healthz while the process runs', async () => {
    const res = await get(gateway.url, '/healthz');
    expect(res.status).toBe(200);
    expect(res.text).toBe('ok\n');
  });

  it('answers /readyz 503 with the upstream that is not ready', async () => {
    const res = await get(gateway.url, '/readyz');
    expect(res.status).toBe(503);
    expect(res.text).toMatch(/^not ready:\nupstream broken is (starting|down|failed)\n$/);
  });

  it('[HTTP-9] answers a plain call as one JSON body, and a denied one with its code', async () => {
    const session = await openLegacySession(gateway.url);
    const headers = {
      ...JSON_HEADERS,
      'mcp-session-id': session,
      'mcp-protocol-version': '2025-11-25',
    };
    const ok = await raw(gateway.url, { headers, body: callBody(1, 'everything__echo') });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/json');
    expect(ok.headers['mcp-session-id']).toBe(session);
    expect(JSON.stringify(messagesOf(ok)[0]?.['result'])).toContain('Echo: hi');
    const denied = await raw(gateway.url, { headers, body: callBody(2, 'everything__get-sum') });
    expect(denied.headers['content-type']).toBe('application/json');
    expect(dataCode(messagesOf(denied)[0])).toBe('POLICY_TOOL_DENIED');
    // The session stays its opener's: another caller is refused as before.
    const foreign = await raw(gateway.url, {
      headers: { ...headers, authorization: 'Bearer someone-else' },
      body: callBody(3, 'everything__echo'),
    });
    expect(foreign.status).toBe(403);
    expect(dataCode(messagesOf(foreign)[0])).toBe('HTTP_SESSION_FORBIDDEN');
  });

  it('keeps the event stream for a client that can be asked mid-call', async () => {
    const init = await raw(gateway.url, {
      headers: JSON_HEADERS,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: { elicitation: {} },
          clientInfo: { name: 'asks', version: '1' },
        },
      }),
    });
    const session = String(init.headers['mcp-session-id']);
    const headers = {
      ...JSON_HEADERS,
      'mcp-session-id': session,
      'mcp-protocol-version': '2025-11-25',
    };
    await raw(gateway.url, {
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    const res = await raw(gateway.url, { headers, body: callBody(1, 'everything__echo') });
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(JSON.stringify(messagesOf(res)[0]?.['result'])).toContain('Echo: hi');
  });

  it('[HTTP-8] serves metrics to loopback: calls, denials, latency, upstreams, audit lag', async () => {
    const res = await get(gateway.url, '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.text;
    expect(
      sample(text, 'toolgate_calls_total{method="tools/call",outcome="ok"}'),
    ).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'toolgate_denials_total{code="POLICY_TOOL_DENIED"}')).toBe(1);
    expect(
      sample(text, 'toolgate_call_duration_seconds_count{method="tools/call"}'),
    ).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'toolgate_upstream_up{server="everything"}')).toBe(1);
    expect(sample(text, 'toolgate_upstream_up{server="broken"}')).toBe(0);
    expect(sample(text, 'toolgate_audit_lag_seconds_count')).toBeGreaterThan(0);
    expect(sample(text, 'toolgate_http_sessions')).toBeGreaterThanOrEqual(2);
    expect(text).toContain('# TYPE toolgate_upstream_restarts_total counter');
    expect(text).toContain('toolgate_process_resident_memory_bytes');
    // Every restart the log reports is counted (the broken server keeps restarting, with backoff).
    await eventually(async () => {
      const later = (await get(gateway.url, '/metrics')).text;
      const logged = gateway
        .stderr()
        .split('\n')
        .filter((l) => l.includes('"server":"broken"') && l.includes('"kind":"restarting"')).length;
      return (
        logged > 0 && sample(later, 'toolgate_upstream_restarts_total{server="broken"}') === logged
      );
    });
  });
});

describe('toolgate serve: metrics on a listener of their own', () => {
  let gateway: ServeProcess;
  let operations: string;
  beforeAll(async () => {
    gateway = await startServe({
      http: { metrics: { listen: '127.0.0.1:0', allowFrom: ['10.0.0.0/8'] } },
      servers: { everything: { ...everything, tools: ['echo'] } },
    });
    const line = gateway
      .stderr()
      .split('\n')
      .find((l) => l.includes('"gateway listening"'));
    operations = String((JSON.parse(line ?? '{}') as { operations?: string }).operations);
  }, 60_000);
  afterAll(async () => {
    await gateway?.stop();
  });

  it('[HTTP-8] refuses a scrape from an address outside allowFrom', async () => {
    expect(operations).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await get(operations, '/metrics');
    expect(res.status).toBe(403);
    expect(dataCode(JSON.parse(res.text) as Record<string, unknown>)).toBe(
      'HTTP_METRICS_FORBIDDEN',
    );
    // Not on the MCP listener either, once they have their own.
    expect((await get(gateway.url, '/metrics')).status).toBe(404);
  });

  it('answers readiness there, and 503 once the audit log cannot be written', async () => {
    const ready = await get(operations, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.text).toBe('ready\n');
    expect((await get(operations, '/healthz')).status).toBe(200);
    expect((await get(operations, '/mcp')).status).toBe(404);
    rmSync(join(dirname(gateway.configFile), 'toolgate-audit.jsonl'));
    const res = await get(operations, '/readyz');
    expect(res.status).toBe(503);
    expect(res.text).toContain('toolgate-audit.jsonl is not writable');
  });
});
