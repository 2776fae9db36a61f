import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkpointSize, verifyCheckpoint } from '../../src/audit/checkpoint.js';
import { loadVerifiers } from '../../src/audit/keys.js';
import { startGateway } from '../faults/audit-gateway.js';
import { entriesOf, errorOf, everything, isShutdown } from './audit-log.js';
import { eventually } from './harness.js';

describe('when OpenTelemetry export is configured', () => {
  let server: Server | undefined;
  afterAll(() => server?.close());

  it('[AUD-8] sends one span per call with the decision chain as events, and log records, to a loopback OTLP listener, without secrets', async () => {
    const received: { path: string; body: string }[] = [];
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const secret = 'sk-otel-secret-0123456789';
    const gw = await startGateway({
      servers: { everything: { ...everything, env: { API_KEY: secret } } },
      audit: {
        otel: {
          endpoint: `http://127.0.0.1:${port}`,
          headers: { authorization: 'Bearer collector-token-xyz' },
        },
      },
    });
    await gw.client.callTool({
      name: 'everything__echo',
      arguments: { message: `my ${secret} and private text` },
    });
    await errorOf(gw.client.callTool({ name: 'everything__get-env', arguments: {} }));
    await gw.client.close();
    await eventually(
      () =>
        received.some((r) => r.path === '/v1/traces' && r.body.includes('POLICY_TOOL_DENIED')) &&
        received.some((r) => r.path === '/v1/logs'),
      60_000,
    );

    const traces = received
      .filter((r) => r.path === '/v1/traces')
      .map(
        (r) =>
          JSON.parse(r.body) as {
            resourceSpans: {
              scopeSpans: {
                spans: {
                  name: string;
                  events?: { name: string }[];
                  attributes: { key: string }[];
                }[];
              }[];
            }[];
          },
      );
    const spans = traces.flatMap((t) =>
      t.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
    );
    const call = spans.find(
      (s) => s.name === 'tools/call everything' && s.events?.some((e) => e.name === 'result'),
    );
    // forward first (every defense passed), result last; a defense's own upstream request (e.g. an output
    // contract fetching tools/list) is part of the same call's chain and shows as another forward
    const names = call?.events?.map((e) => e.name) ?? [];
    expect([names[0], names.at(-1)]).toEqual(['forward', 'result']);
    expect(spans.some((s) => s.events?.map((e) => e.name).join() === 'deny')).toBe(true);
    const everything_ = received.map((r) => r.body).join('\n');
    expect(everything_).not.toContain(secret);
    expect(everything_).not.toContain('private text');
    expect(everything_).not.toContain('collector-token-xyz');
    expect(everything_).toContain('"service.name"');
  }, 180_000);
});

describe('when a witness URL is configured', () => {
  let server: Server | undefined;
  afterAll(() => server?.close());

  it('[AUD-4] [AUD-5] every signed checkpoint is posted to it, and a refused post is reported, not dropped', async () => {
    const notes: string[] = [];
    let posts = 0;
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        // the first post is refused: the gateway must say so
        if (++posts === 1) return void res.writeHead(503).end();
        notes.push(body);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const gw = await startGateway({
      servers: { everything },
      audit: {
        checkpoint: { everyEntries: 2 },
        witnessUrl: `http://127.0.0.1:${port}/add-checkpoint`,
      },
    });
    for (const message of ['one', 'two', 'three'])
      await gw.client.callTool({ name: 'everything__echo', arguments: { message } });
    await gw.client.close();
    await eventually(() => entriesOf(gw.dir).some(isShutdown), 60_000);
    await eventually(() => checkpointSize(notes.at(-1) ?? '') === entriesOf(gw.dir).length, 30_000);

    expect(gw.stderr.join('')).toMatch(
      /audit checkpoint at size \d+ not accepted by the witness http:\/\/127\.0\.0\.1:\d+\/add-checkpoint: HTTP 503/,
    );
    const verifiers = loadVerifiers(join(gw.dir, 'toolgate-audit.pub'));
    expect(notes.length).toBeGreaterThan(1);
    for (const note of notes)
      expect(verifyCheckpoint(note, verifiers, 'toolgate.local/audit')).toMatchObject({ ok: true });
  }, 180_000);
});
