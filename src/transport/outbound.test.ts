import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outbound } from '../core/outbound.js';
import { AuditError } from '../errors.js';
import { LineTransport } from './line-transport.js';
import { connectLogged, sendLogged } from './outbound.js';

/**
 * An audit write failure stops every kind of message at the way out (core/outbound.ts): a request is
 * refused, a response leaves as its request's AUDIT_APPEND_FAILED error, a notification is dropped.
 * The line transport is the way out of the stdio front and of stdio upstreams; `sendLogged` wraps the
 * SDK transports of HTTP upstreams and HTTP front sessions (`connectLogged` for the SDK-made ones).
 * The egress proxy's connections are covered in egress/proxy.test.ts.
 */

/** A way out whose audit log cannot write its pending lines until `healed`. */
const failing = () => {
  const state = { broken: true };
  const outbound: Outbound = {
    commit: () =>
      state.broken ? new AuditError('AUDIT_APPEND_FAILED', 'ENOSPC: the disk is full') : undefined,
  };
  return { outbound, heal: () => void (state.broken = false) };
};

const request: JSONRPCMessage = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: {} };
const notification: JSONRPCMessage = { jsonrpc: '2.0', method: 'notifications/progress' };
const response: JSONRPCMessage = { jsonrpc: '2.0', id: 9, result: { content: [] } };

/** Frames written to a stream, once the turn's batch left. */
const framesOf = async (stream: PassThrough): Promise<unknown[]> => {
  await new Promise((resolve) => setImmediate(resolve));
  const text = (stream.read() as Buffer | null)?.toString() ?? '';
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);
};

describe('when the audit log cannot be written, the way out', () => {
  it('[AUD-2] [AUD-9] of a line transport (stdio front, stdio upstream) refuses requests, withholds responses and drops notifications', async () => {
    const { outbound, heal } = failing();
    const wire = new PassThrough();
    const transport = new LineTransport(
      new PassThrough(),
      wire,
      { maxMessageBytes: 1 << 20, maxDepth: 64 },
      outbound,
      () => undefined,
    );
    await transport.start();
    const sent = [transport.send(request), transport.send(notification), transport.send(response)];
    await expect(sent[0]).rejects.toMatchObject({ code: 'AUDIT_APPEND_FAILED' });
    await expect(sent[1]).resolves.toBeUndefined();
    await expect(sent[2]).resolves.toBeUndefined();
    const frames = await framesOf(wire);
    expect(frames).toHaveLength(1);
    expect(frames).toMatchObject([
      { jsonrpc: '2.0', id: 9, error: { data: { code: 'AUDIT_APPEND_FAILED' } } },
    ]);
    heal();
    await transport.send(request);
    expect(await framesOf(wire)).toEqual([request]);
    await transport.close();
  });

  describe('of an SDK HTTP transport (HTTP upstreams, HTTP front sessions)', () => {
    const received: unknown[] = [];
    const http = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body) as unknown);
        res.writeHead(202).end();
      });
    });
    let url: URL;
    beforeAll(async () => {
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      url = new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
    });
    afterAll(() => void http.close());

    it('[AUD-2] sends nothing unlogged: the request is refused before any byte leaves, and leaves once the log is written', async () => {
      const { outbound, heal } = failing();
      const transport = new StreamableHTTPClientTransport(url);
      const send = sendLogged(outbound, transport.send.bind(transport));
      await expect(send(request)).rejects.toMatchObject({ code: 'AUDIT_APPEND_FAILED' });
      await expect(send(notification)).resolves.toBeUndefined();
      expect(received).toEqual([]);
      heal();
      await send(notification);
      expect(received).toEqual([notification]);
      await transport.close();
    });

    it('[AUD-2] wraps every transport a server connects, before it can send', async () => {
      const { outbound } = failing();
      const wire = new PassThrough();
      const connected: Transport[] = [];
      const server = {
        connect: (transport: Transport) => {
          connected.push(transport);
          return Promise.resolve();
        },
      };
      connectLogged(outbound, server);
      const line = new LineTransport(
        new PassThrough(),
        wire,
        { maxMessageBytes: 1 << 20, maxDepth: 64 },
        { commit: () => undefined },
        () => undefined,
      );
      await server.connect(line);
      await expect(connected[0]?.send(request)).rejects.toMatchObject({
        code: 'AUDIT_APPEND_FAILED',
      });
      expect(await framesOf(wire)).toEqual([]);
    });
  });
});
