import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import type { Call } from './measure.js';

/** Which protocol era the lean client speaks: 2025-11-25 (initialize, maybe a session) or 2026-07-28 (stateless). */
export type LeanEra = '2025' | '2026';

const CLIENT_INFO = { name: 'toolgate-bench', version: '1.0.0' };
const META_2026 = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
  'io.modelcontextprotocol/clientCapabilities': {},
};

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One POST on the keep-alive agent; resolves with the whole response (JSON, or an SSE stream that ends). */
const post = (
  agent: Agent,
  url: URL,
  headers: Record<string, string>,
  body: string,
): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.once('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end(body);
  });

/**
 * The JSON-RPC message answering `id` in a response body: the body itself when it is JSON, else the
 * `data:` line of the SSE stream that carries it (streams may hold priming events with empty data).
 */
const answerIn = (answer: Answer, id: number): Record<string, unknown> => {
  const type = answer.headers['content-type'] ?? '';
  if (answer.status !== 200) throw new Error(`HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
  if (type.startsWith('application/json')) {
    const message = JSON.parse(answer.body) as Record<string, unknown>;
    if (message['id'] === id) return message;
  } else if (type.startsWith('text/event-stream')) {
    for (const line of answer.body.split('\n')) {
      if (!line.startsWith('data: {')) continue;
      const message = JSON.parse(line.slice(6)) as Record<string, unknown>;
      if (message['id'] === id) return message;
    }
  }
  throw new Error(`no answer to request ${id} in a ${type} body: ${answer.body.slice(0, 200)}`);
};

/** The text of an echo result, or an error saying what came back instead. */
const echoedText = (message: Record<string, unknown>): string => {
  const result = message['result'] as
    { isError?: boolean; content?: { type?: string; text?: string }[] } | undefined;
  const text = result?.content?.[0]?.text;
  if (!result || result.isError || typeof text !== 'string')
    throw new Error(`not an echo result: ${JSON.stringify(message).slice(0, 200)}`);
  return text;
};

/**
 * A lean MCP client for the HTTP load runs: raw `node:http` on a keep-alive agent, request bodies
 * built from pre-serialized parts with the id and the echoed text patched in, and only the answer's
 * id and echoed text read back (a wrong answer throws, and the bench counts it as an error). The
 * session is set up once, as a real client does: `initialize` (its `Mcp-Session-Id`, if the server
 * gives one, goes on every later request) and `notifications/initialized` in the 2025 era; a
 * `server/discover` probe and the per-request `_meta` envelope and `Mcp-Method`/`Mcp-Name` headers
 * in the 2026-07-28 era. No standalone GET stream: nothing here listens for server notifications.
 */
export const connectLean = async (
  endpoint: string,
  tool: string,
  era: LeanEra,
): Promise<{ call: Call; close: () => Promise<void> }> => {
  const url = new URL(endpoint);
  // Enough sockets for the bench's concurrency: each call in flight holds one.
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const headers: Record<string, string> = {
    accept: 'application/json, text/event-stream',
    'content-type': 'application/json',
  };
  let nextId = 0;
  const rpc = async (method: string, params: Record<string, unknown>, extra = {}) => {
    const id = nextId++;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method, params });
    return answerIn(await post(agent, url, { ...headers, ...extra }, body), id);
  };
  if (era === '2025') {
    const id = nextId++;
    const init = await post(
      agent,
      url,
      headers,
      JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: CLIENT_INFO },
      }),
    );
    const version = (answerIn(init, id)['result'] as { protocolVersion?: string } | undefined)
      ?.protocolVersion;
    headers['mcp-protocol-version'] = version ?? '2025-11-25';
    const session = init.headers['mcp-session-id'];
    if (typeof session === 'string') headers['mcp-session-id'] = session;
    const note = await post(
      agent,
      url,
      headers,
      JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    );
    if (note.status !== 202 && note.status !== 200)
      throw new Error(`notifications/initialized: HTTP ${note.status}`);
  } else {
    headers['mcp-protocol-version'] = '2026-07-28';
    await rpc('server/discover', { _meta: META_2026 }, { 'mcp-method': 'server/discover' });
  }
  const listParams = era === '2026' ? { _meta: META_2026 } : {};
  // A gateway lists an upstream that is still starting (or restarting) as empty: give it a few seconds.
  for (let attempt = 1; ; attempt++) {
    const list = await rpc('tools/list', listParams, { 'mcp-method': 'tools/list' });
    const tools = (list['result'] as { tools?: { name: string }[] } | undefined)?.tools ?? [];
    if (tools.some((t) => t.name === tool)) break;
    if (attempt >= 20)
      throw new Error(`tool ${tool} not listed (got ${tools.map((t) => t.name).join(', ')})`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const callHeaders =
    era === '2026' ? { ...headers, 'mcp-method': 'tools/call', 'mcp-name': tool } : headers;
  // The body around the id and the text, serialized once: `…"id":<id>,…"text":"hello <id>"…}`.
  const meta = era === '2026' ? `,"_meta":${JSON.stringify(META_2026)}` : '';
  const head = '{"jsonrpc":"2.0","id":';
  const middle = `,"method":"tools/call","params":{"name":${JSON.stringify(tool)},"arguments":{"text":"hello `;
  const tail = `"}${meta}}}`;
  const call: Call = async () => {
    const id = nextId++;
    const answer = await post(agent, url, callHeaders, `${head}${id}${middle}${id}${tail}`);
    const text = echoedText(answerIn(answer, id));
    if (text !== `hello ${id}`) throw new Error(`request ${id} answered with "${text}"`);
    return text;
  };
  return {
    call,
    close: () => {
      agent.destroy();
      return Promise.resolve();
    },
  };
};
