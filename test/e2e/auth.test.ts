import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { createMcpHandler, Server as McpLowServer } from '@modelcontextprotocol/server';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INITIALIZE_BODY, raw, startServe, type ServeProcess } from './gateway-process.js';
import { eventually, fixture, runToolgate, tempDir } from './harness.js';
import { writeFileSync } from 'node:fs';
import { serveOnLoopback } from './http-front-rig.js';

const ISSUER = 'https://idp.test';
const AUDIENCE = 'https://gateway.test/mcp';
const API_KEY = 'tg_ci_0123456789abcdef0123456789abcdef';
const POLICY = join(import.meta.dirname, '../../examples/policy/agents.cedar');

type Keys = Awaited<ReturnType<typeof generateKeyPair>>;
let k1: Keys;
let k2: Keys;
let jwks: { keys: JWK[] } = { keys: [] };
let idp: Server;
let gw: ServeProcess;
let web: { url: string; close(): Promise<void> };
/** The Authorization header of every request the HTTP upstream received. */
const upstreamAuthorization: (string | undefined)[] = [];

/** An MCP server over HTTP on loopback that records the credentials it is sent. */
const startWebUpstream = async () => {
  const handler = createMcpHandler(() => {
    const server = new McpLowServer(
      { name: 'web', version: '1.0.0' },
      { capabilities: { tools: {} } },
    );
    server.setRequestHandler('tools/list', () =>
      Promise.resolve({
        tools: [{ name: 'echo', description: 'Echoes.', inputSchema: { type: 'object' as const } }],
      }),
    );
    server.setRequestHandler('tools/call', () =>
      Promise.resolve({ content: [{ type: 'text' as const, text: 'echoed' }] }),
    );
    return server;
  });
  return serveOnLoopback(handler, (req) => upstreamAuthorization.push(req.headers.authorization));
};

const publicJwk = async (keys: Keys, kid: string): Promise<JWK> => ({
  ...(await exportJWK(keys.publicKey)),
  kid,
  alg: 'RS256',
  use: 'sig',
});

const token = (
  claims: Record<string, unknown> = {},
  opts: {
    keys?: Keys;
    kid?: string;
    aud?: string;
    iss?: string;
    exp?: string | number;
    nbf?: string | number;
  } = {},
) => {
  const jwt = new SignJWT({ scope: 'mcp', groups: ['readers'], ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'k1' })
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setSubject('alice')
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m');
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  return jwt.sign((opts.keys ?? k1).privateKey);
};

const codeOf = (text: string): string =>
  (JSON.parse(text) as { error: { data: { code: string } } }).error.data.code;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const post = (bearer: string | undefined, path = '/mcp') =>
  raw(gw.url, {
    path,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(bearer !== undefined && { authorization: `Bearer ${bearer}` }),
    },
    body: INITIALIZE_BODY,
  });

const connect = async (bearer: string) => {
  const client = new Client({ name: 'auth-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(gw.url), {
      requestInit: { headers: { authorization: `Bearer ${bearer}` } },
    }),
  );
  return client;
};

beforeAll(async () => {
  [k1, k2] = await Promise.all([generateKeyPair('RS256'), generateKeyPair('RS256')]);
  jwks = { keys: [await publicJwk(k1, 'k1')] };
  idp = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
  web = await startWebUpstream();
  const webPolicy = join(tempDir(), 'web.cedar');
  writeFileSync(webPolicy, 'permit (principal, action, resource in Toolgate::Server::"web");');
  gw = await startServe({
    servers: {
      ws: { command: process.execPath, args: [fixture('workspace')], tools: ['*'] },
      web: { url: web.url, tools: ['echo'] },
    },
    agents: { alice: { groups: [] }, 'ci-bot': { groups: ['chat'] } },
    auth: {
      jwt: {
        issuer: ISSUER,
        audience: AUDIENCE,
        jwks: `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks.json`,
        requiredScopes: ['mcp'],
      },
      apiKeys: [{ id: 'ci-bot', sha256: createHash('sha256').update(API_KEY).digest('hex') }],
    },
    policy: { files: [POLICY, webPolicy] },
  });
});
afterAll(async () => {
  await gw?.stop();
  await web?.close();
  idp?.close();
});

describe('when a request to toolgate serve carries no valid credential', () => {
  it('[AUTHN-1] answers 401 with a Bearer challenge naming the resource metadata, which is served (RFC 9728)', async () => {
    const refused = await post(undefined);
    expect(refused.status).toBe(401);
    expect(codeOf(refused.text)).toBe('HTTP_UNAUTHORIZED');
    const challenge = String(refused.headers['www-authenticate']);
    const metadataUrl = /^Bearer resource_metadata="([^"]+)"/.exec(challenge)?.[1] ?? '';
    expect(metadataUrl).toMatch(/\/\.well-known\/oauth-protected-resource\/mcp$/);
    for (const path of [new URL(metadataUrl).pathname, '/.well-known/oauth-protected-resource']) {
      const metadata = await raw(gw.url, { method: 'GET', path });
      expect(JSON.parse(metadata.text)).toEqual({
        resource: AUDIENCE,
        authorization_servers: [ISSUER],
        bearer_methods_supported: ['header'],
        scopes_supported: ['mcp'],
      });
    }
  });

  it('[AUTHN-2] refuses a wrong audience or issuer, expired, not yet valid, alg none, HS256 with the public key, a bad signature, an unknown kid', async () => {
    const good = await token();
    const [header, payload] = good.split('.');
    const publicKeyBytes = Buffer.from(JSON.stringify(await publicJwk(k1, 'k1')));
    const confused = await new SignJWT({ scope: 'mcp' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('alice')
      .setExpirationTime('5m')
      .sign(publicKeyBytes);
    const cases: Record<string, string> = {
      audience: await token({}, { aud: 'https://other.test/mcp' }),
      issuer: await token({}, { iss: 'https://evil.test' }),
      expired: await token({}, { exp: Math.floor(Date.now() / 1000) - 3600 }),
      'not yet valid': await token({}, { nbf: Math.floor(Date.now() / 1000) + 3600 }),
      'alg none': `${b64({ alg: 'none', kid: 'k1' })}.${payload}.`,
      'HS256 with the public key': confused,
      'bad signature': `${header}.${b64({ sub: 'mallory', iss: ISSUER, aud: AUDIENCE, exp: 9e9 })}.${good.split('.')[2]}`,
      'unknown kid': await token({}, { keys: k2, kid: 'k2' }),
      garbage: 'not-a-token',
    };
    for (const [name, bearer] of Object.entries(cases)) {
      const refused = await post(bearer);
      expect(refused.status, name).toBe(401);
      expect(String(refused.headers['www-authenticate']), name).toContain('error="invalid_token"');
    }
    const inQuery = await post(undefined, `/mcp?access_token=${good}`);
    expect(inQuery.status).toBe(400);
    expect(codeOf(inQuery.text)).toBe('HTTP_TOKEN_IN_QUERY');
  });

  it('[AUTHN-3] answers 403 insufficient_scope when the token lacks a required scope', async () => {
    const refused = await post(await token({ scope: 'read' }));
    expect(refused.status).toBe(403);
    expect(String(refused.headers['www-authenticate'])).toContain('error="insufficient_scope"');
  });
});

describe('when agents authenticate', () => {
  it('[AUTHN-4] [AUTHZ-1] a JWT agent and an API-key agent see different tools through one gateway', async () => {
    const alice = await connect(await token());
    const bot = await connect(API_KEY);
    try {
      const names = async (c: Client) => (await c.listTools()).tools.map((t) => t.name).sort();
      expect(await names(alice)).toEqual([
        'web__echo',
        'ws__read_file',
        'ws__read_issue',
        'ws__read_private_repo',
      ]);
      expect(await names(bot)).toEqual(['web__echo', 'ws__send_message']);
      // The agent's credential stays at toolgate: the upstream sees none.
      await alice.callTool({ name: 'web__echo', arguments: {} });
      expect(upstreamAuthorization.length).toBeGreaterThan(0);
      expect(upstreamAuthorization.filter((a) => a !== undefined)).toEqual([]);
    } finally {
      await Promise.all([alice.close(), bot.close()]);
    }
  });

  it('[AUTHN-4] picks up a key rotated into the JWKS', async () => {
    const rotated = await token({}, { keys: k2, kid: 'k2' });
    jwks = { keys: [await publicJwk(k1, 'k1'), await publicJwk(k2, 'k2')] };
    // jose refetches the set for an unknown kid at most every 2 s.
    await eventually(async () => (await post(rotated)).status === 200, 15_000);
  });

  it('[AUTHN-5] binds a session to its agent: another agent cannot use it', async () => {
    const opened = await post(await token());
    const session = String(opened.headers['mcp-session-id']);
    const stolen = await raw(gw.url, {
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${API_KEY}`,
        'mcp-session-id': session,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }),
    });
    expect(stolen.status).toBe(403);
    expect(codeOf(stolen.text)).toBe('HTTP_SESSION_FORBIDDEN');
  });
});

describe('when serve would listen beyond loopback', () => {
  it('[AUTHN-6] refuses to start without auth (CONFIG_AUTH_REQUIRED) unless --insecure-no-auth', async () => {
    const dir = tempDir();
    const config = join(dir, 'toolgate.yaml');
    writeFileSync(config, JSON.stringify({ servers: { ws: { command: 'node', args: ['x.js'] } } }));
    const run = await runToolgate([
      'serve',
      '--no-lock',
      '--config',
      config,
      '--listen',
      '0.0.0.0:0',
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('CONFIG_AUTH_REQUIRED');
    expect(run.stderr).toContain('--insecure-no-auth');
  });
});
