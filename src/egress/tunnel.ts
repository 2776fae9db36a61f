import { connect, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Gate } from './gate.js';
import { normalizeHost } from './match.js';

/** Opens one CONNECT tunnel (HTTPS) to the checked address, or answers why not. */
export const tunnel = async (
  gate: Gate,
  req: IncomingMessage,
  client: Socket,
  head: Buffer,
): Promise<void> => {
  client.on('error', () => undefined);
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(req.url ?? '');
  if (!match) {
    await gate.record({
      decision: 'deny',
      method: 'CONNECT',
      host: '',
      port: 0,
      code: 'EGRESS_BAD_REQUEST',
      reason: 'bad CONNECT target',
    });
    client.end('HTTP/1.1 400 Bad Request\r\nx-toolgate-egress: EGRESS_BAD_REQUEST\r\n\r\n');
    return;
  }
  const host = normalizeHost(match[1] as string);
  const port = Number(match[2]);
  const verdict = await gate.report('CONNECT', host, port, await gate.check(host, port));
  if (!verdict.ok) {
    const status =
      verdict.code === 'EGRESS_DNS_FAILED'
        ? '502 Bad Gateway'
        : verdict.code === 'EGRESS_UNLOGGED'
          ? '503 Service Unavailable'
          : '403 Forbidden';
    client.end(
      `HTTP/1.1 ${status}\r\nx-toolgate-egress: ${verdict.code}\r\ncontent-length: 0\r\n\r\n`,
    );
    return;
  }
  const upstream = connect({ host: verdict.address, port });
  upstream.once('connect', () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', (error) => {
    void gate.record({
      decision: 'deny',
      method: 'CONNECT',
      host,
      port,
      code: 'EGRESS_CONNECT_FAILED',
      reason: error.message,
    });
    client.end(
      'HTTP/1.1 502 Bad Gateway\r\nx-toolgate-egress: EGRESS_CONNECT_FAILED\r\ncontent-length: 0\r\n\r\n',
    );
  });
  client.on('close', () => upstream.destroy());
};
