import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INITIALIZE_BODY,
  JSON_HEADERS,
  openLegacySession,
  raw,
  startServe,
  tempDir,
  type ServeProcess,
} from './gateway-process.js';
import { errorOf, fixture } from './harness.js';

/**
 * The gaps auth.test.ts leaves: every method on /mcp is gated (a session id is no credential), the
 * clock skew is small but real, a JWKS file rotates without a restart, near-miss API keys fail, and
 * each agent has its own rate-limit bucket.
 */
const ISSUER = 'https://idp.test';
const AUDIENCE = 'https://gateway.test/mcp';
const KEY_A = 'tg_a_0123456789abcdef0123456789abcdef';
const KEY_B = 'tg_b_0123456789abcdef0123456789abcdef';
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

type Keys = Awaited<ReturnType<typeof generateKeyPair>>;
let k1: Keys;
let k2: Keys;
let dir: string;
let gw: ServeProcess;

const publicJwk = async (keys: Keys, kid: string): Promise<JWK> => ({
  ...(await exportJWK(keys.publicKey)),
  kid,
  alg: 'RS256',
});
const writeJwks = async (...entries: [Keys, string][]) =>
  writeFileSync(
    join(dir, 'jwks.json'),
    JSON.stringify({ keys: await Promise.all(entries.map(([k, kid]) => publicJwk(k, kid))) }),
  );

const now = () => Math.floor(Date.now() / 1000);
const token = (opts: { keys?: Keys; kid?: string; exp?: number; nbf?: number } = {}) => {
  const jwt = new SignJWT({ groups: [] })
    .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'k1' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('alice')
    .setExpirationTime(opts.exp ?? now() + 300);
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  return jwt.sign((opts.keys ?? k1).privateKey);
};

const initialize = (bearer: string, path = '/mcp') =>
  raw(gw.url, {
    path,
    headers: { ...JSON_HEADERS, authorization: `Bearer ${bearer}` },
    body: INITIALIZE_BODY,
  });

beforeAll(async () => {
  [k1, k2] = await Promise.all([generateKeyPair('RS256'), generateKeyPair('RS256')]);
  dir = tempDir();
  await writeJwks([k1, 'k1']);
  gw = await startServe(
    {
      servers: { ws: { command: process.execPath, args: [fixture('workspace')], tools: ['*'] } },
      auth: {
        jwt: { issuer: ISSUER, audience: AUDIENCE, jwks: 'jwks.json', clockToleranceSec: 30 },
        apiKeys: [
          { id: 'bot-a', sha256: sha(KEY_A) },
          { id: 'bot-b', sha256: sha(KEY_B) },
        ],
      },
      rateLimits: { perAgent: { capacity: 2, refillPerSecond: 0.001 } },
    },
    '127.0.0.1:0',
    { file: join(dir, 'toolgate.json') },
  );
});
afterAll(async () => {
  await gw?.stop();
});

describe('when a request reaches /mcp without a valid credential', () => {
  it('[AUTHN-1] every method is challenged with 401, and a live session id is no credential', async () => {
    const session = await openLegacySession(gw.url, { authorization: `Bearer ${KEY_A}` });
    const listTools = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
    const attempts: Record<string, Parameters<typeof raw>[1]> = {
      'GET stream': { method: 'GET', headers: { accept: 'text/event-stream' } },
      'DELETE session': { method: 'DELETE', headers: { 'mcp-session-id': session } },
      'POST on the session': {
        headers: {
          ...JSON_HEADERS,
          'mcp-session-id': session,
          'mcp-protocol-version': '2025-11-25',
        },
        body: listTools,
      },
      'stateless POST (2026-07-28)': {
        headers: { ...JSON_HEADERS, 'mcp-protocol-version': '2026-07-28' },
        body: listTools,
      },
    };
    for (const [name, request] of Object.entries(attempts)) {
      const refused = await raw(gw.url, request);
      expect(refused.status, name).toBe(401);
      expect(String(refused.headers['www-authenticate']), name).toMatch(
        /^Bearer resource_metadata="http:\/\/[^"]+\/\.well-known\/oauth-protected-resource\/mcp"/,
      );
    }
    // The session outlived the attempt to close it without a credential: its owner still uses it.
    const owner = await raw(gw.url, {
      headers: {
        ...JSON_HEADERS,
        authorization: `Bearer ${KEY_A}`,
        'mcp-session-id': session,
        'mcp-protocol-version': '2025-11-25',
      },
      body: listTools,
    });
    expect(owner.status).toBe(200);
    expect(owner.text).toContain('read_file');
  });

  it('[AUTHN-2] a near-miss API key and a token named in ?token= are refused', async () => {
    for (const bearer of [KEY_A.slice(0, -1), `${KEY_A}0`, KEY_A.toUpperCase()]) {
      const refused = await initialize(bearer);
      expect(refused.status, bearer).toBe(401);
      expect(String(refused.headers['www-authenticate'])).toContain('error="invalid_token"');
    }
    const inQuery = await raw(gw.url, {
      path: `/mcp?token=${KEY_A}`,
      headers: JSON_HEADERS,
      body: INITIALIZE_BODY,
    });
    expect(inQuery.status).toBe(400);
    expect(inQuery.text).toContain('HTTP_TOKEN_IN_QUERY');
  });

  it('[AUTHN-2] exp and nbf allow clock skew of clockToleranceSec, no more', async () => {
    expect((await initialize(await token({ exp: now() - 10 }))).status).toBe(200);
    expect((await initialize(await token({ nbf: now() + 10 }))).status).toBe(200);
    expect((await initialize(await token({ exp: now() - 60 }))).status).toBe(401);
    expect((await initialize(await token({ nbf: now() + 60 }))).status).toBe(401);
  });

  it('[AUTHN-2] a key the token brings along (jwk, jku, x5u headers) is never trusted', async () => {
    const attacker = await publicJwk(k2, 'k1');
    const forged = (header: Record<string, unknown>) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', kid: 'k1', ...header })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject('mallory')
        .setExpirationTime(now() + 300)
        .sign(k2.privateKey);
    for (const header of [
      { jwk: attacker },
      { jku: 'http://127.0.0.1:1/jwks.json' },
      { x5u: 'http://127.0.0.1:1/cert.pem' },
    ]) {
      const refused = await initialize(await forged(header));
      expect(refused.status, Object.keys(header)[0]).toBe(401);
    }
  });
});

describe('when the JWKS is a file beside the config', () => {
  it('[AUTHN-4] a key rotated into the file is picked up without a restart, and one rotated out is refused', async () => {
    const rotated = await token({ keys: k2, kid: 'k2' });
    expect((await initialize(rotated)).status).toBe(401);
    await writeJwks([k2, 'k2']);
    expect((await initialize(rotated)).status).toBe(200);
    // k1 left the set: a token it signs names a kid the file no longer holds.
    expect((await initialize(await token())).status).toBe(401);
  });
});

describe('when two agents call through one gateway under a per-agent limit', () => {
  it('[RATE-1] [AUTHN-4] each agent has its own bucket: one exhausted does not limit the other', async () => {
    const connect = async (key: string) => {
      const client = new Client({ name: 'rate', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(gw.url), {
          requestInit: { headers: { authorization: `Bearer ${key}` } },
        }),
      );
      return client;
    };
    const [a, b] = await Promise.all([connect(KEY_A), connect(KEY_B)]);
    try {
      const issue = (c: Client, n: string) =>
        c.callTool({ name: 'ws__read_issue', arguments: { number: n } });
      await issue(a, '1');
      await a.callTool({ name: 'ws__send_message', arguments: { to: 'team', text: 'hi' } });
      // The per-agent bucket spans tools: a third call by the same agent, to any tool, is refused.
      const limited = await errorOf(issue(a, '3'));
      expect(limited.data?.code).toBe('RATE_LIMITED');
      expect(limited.message).toMatch(/retry in \d+(\.\d)? s/);
      expect(JSON.stringify(await issue(b, '1'))).toContain('Issue #12');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('when serve listens beyond loopback without an auth: section', () => {
  it('[AUTHN-6] --insecure-no-auth starts it, with a loud warning in the log', async () => {
    const open = await startServe(
      {
        servers: { ws: { command: process.execPath, args: [fixture('workspace')], tools: ['*'] } },
      },
      '0.0.0.0:0',
      { args: ['--insecure-no-auth'] },
    );
    try {
      expect(open.stderr()).toMatch(/NO AUTHENTICATION: --insecure-no-auth/);
      const reply = await raw(`http://127.0.0.1:${open.port}/mcp`, {
        headers: JSON_HEADERS,
        body: INITIALIZE_BODY,
      });
      expect(reply.status).toBe(200);
    } finally {
      await open.stop();
    }
  });
});
