import { request, type IncomingHttpHeaders } from 'node:http';

export interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * One POST of `body` to an MCP endpoint on loopback, as raw as a hostile client sends it: the JSON
 * and SSE content headers by default, `headers` on top (a foreign Host or Origin, another type).
 * Used where the SDK client would not send such a request: the red team and the front's tests.
 */
export const postRaw = (
  port: number,
  body: string,
  headers: Record<string, string> = {},
  path = '/mcp',
): Promise<RawAnswer> =>
  new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end(body);
  });
