import { createHash } from 'node:crypto';
import { mkdtempSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuthSchema } from '../config/authz-schema.js';
import { createAuthenticator } from './authenticate.js';

const ISSUER = 'https://idp.test';
const AUDIENCE = 'https://gateway.test/mcp';
const API_KEY = 'tg_ci_0123456789abcdef0123456789abcdef';
type Keys = Awaited<ReturnType<typeof generateKeyPair>>;
let k1: Keys;
let k2: Keys;
const dir = mkdtempSync(join(tmpdir(), 'toolgate-authn-'));
const jwksPath = join(dir, 'jwks.json');
const jwksOf = async (...entries: [Keys, string][]) =>
  JSON.stringify({
    keys: await Promise.all(
      entries.map(async ([k, kid]) => ({ ...(await exportJWK(k.publicKey)), kid, alg: 'RS256' })),
    ),
  });

beforeAll(async () => {
  [k1, k2] = await Promise.all([generateKeyPair('RS256'), generateKeyPair('RS256')]);
  writeFileSync(jwksPath, await jwksOf([k1, 'k1']));
});

const token = (sub: string, keys = k1, kid = 'k1') =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(sub)
    .setExpirationTime('5m')
    .sign(keys.privateKey);

const authenticator = () =>
  createAuthenticator(
    AuthSchema.parse({
      jwt: { issuer: ISSUER, audience: AUDIENCE, jwks: 'jwks.json' },
      apiKeys: [{ id: 'ci-bot', sha256: createHash('sha256').update(API_KEY).digest('hex') }],
    }),
    { 'ci-bot': { groups: ['deployers'], stdio: false } },
    join(dir, 'toolgate.yaml'),
  );
const check = (auth: ReturnType<typeof authenticator>, bearer: string) =>
  auth.check({
    authorization: `Bearer ${bearer}`,
    url: '/mcp',
    metadataUrl: 'http://x/.well-known',
  });

describe('when a bearer credential names its agent', () => {
  it("[AUTHN-4] refuses a JWT whose subject is an API key's agent: the issuer cannot mint that agent", async () => {
    const auth = authenticator();
    expect(await check(auth, API_KEY)).toMatchObject({
      ok: true,
      principal: { id: 'ci-bot', groups: ['deployers'] },
    });
    const minted = await check(auth, await token('ci-bot'));
    expect(minted).toMatchObject({ ok: false, error: { code: 'HTTP_UNAUTHORIZED' } });
    expect(await check(auth, await token('alice'))).toMatchObject({
      ok: true,
      principal: { id: 'alice' },
    });
  });
});

describe('when the JWKS is a file', () => {
  it('[AUTHN-4] an unknown kid re-reads it only once it has changed, and a rotated key is taken at once', async () => {
    const auth = authenticator();
    const then = 1_700_000_000; // whole seconds: utimes keeps them exactly
    utimesSync(jwksPath, then, then);
    expect(await check(auth, await token('alice'))).toMatchObject({ ok: true });
    // Same size, time and inode, other bytes: an unknown kid must not make toolgate read it again.
    writeFileSync(jwksPath, 'x'.repeat(statSync(jwksPath).size));
    utimesSync(jwksPath, then, then);
    const unknown = await check(auth, await token('alice', k2, 'k2'));
    expect(unknown).toMatchObject({ ok: false });
    expect(unknown.ok || unknown.error.message).toContain('ERR_JWKS_NO_MATCHING_KEY');
    writeFileSync(jwksPath, await jwksOf([k1, 'k1'], [k2, 'k2']));
    expect(await check(auth, await token('alice', k2, 'k2'))).toMatchObject({ ok: true });
  });
});
