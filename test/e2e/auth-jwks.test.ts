import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INITIALIZE_BODY,
  JSON_HEADERS,
  raw,
  startServe,
  type ServeProcess,
} from './gateway-process.js';
import { fixture } from './harness.js';

/**
 * The JWKS is cached: valid tokens do not fetch it again, and a flood of tokens naming unknown kids
 * cannot make toolgate hammer the issuer (one refetch per cooldown), which counts what it serves.
 */
const ISSUER = 'https://idp.test';
const AUDIENCE = 'https://gateway.test/mcp';
let idp: Server;
let gw: ServeProcess;
let fetches = 0;
type Keys = Awaited<ReturnType<typeof generateKeyPair>>;
let known: Keys;
let stranger: Keys;

const token = (keys: Keys, kid: string) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('alice')
    .setExpirationTime('5m')
    .sign(keys.privateKey);
const initialize = (bearer: string) =>
  raw(gw.url, {
    headers: { ...JSON_HEADERS, authorization: `Bearer ${bearer}` },
    body: INITIALIZE_BODY,
  });

beforeAll(async () => {
  [known, stranger] = await Promise.all([generateKeyPair('ES256'), generateKeyPair('ES256')]);
  const body = JSON.stringify({
    keys: [{ ...(await exportJWK(known.publicKey)), kid: 'known', alg: 'ES256' }],
  });
  idp = createServer((_, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
  gw = await startServe({
    servers: { ws: { command: process.execPath, args: [fixture('workspace')], tools: ['*'] } },
    auth: {
      jwt: {
        issuer: ISSUER,
        audience: AUDIENCE,
        jwks: `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks.json`,
      },
    },
  });
});
afterAll(async () => {
  await gw?.stop();
  idp?.close();
});

describe('when many tokens arrive', () => {
  it('[AUTHN-4] valid tokens are verified against the cached set: one fetch for many requests', async () => {
    for (let i = 0; i < 5; i++)
      expect((await initialize(await token(known, 'known'))).status).toBe(200);
    expect(fetches).toBe(1);
  });

  it('[AUTHN-2] [AUTHN-4] a burst of unknown kids is refused without a fetch per token', async () => {
    const before = fetches;
    const started = Date.now();
    const burst = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => initialize(await token(stranger, `kid-${i}`))),
    );
    expect(burst.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 401));
    // jose refetches for an unknown kid at most once per 2 s cooldown: however long the burst took on
    // this machine, that bounds the fetches well below one per token.
    const cooldowns = Math.ceil((Date.now() - started) / 2000);
    expect(fetches - before).toBeLessThanOrEqual(1 + cooldowns);
    expect(cooldowns).toBeLessThan(10);
  });
});
