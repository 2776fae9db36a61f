import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { httpPrincipal } from '../authz/principal.js';
import type { AgentsConfig, AuthConfig } from '../config/authz-schema.js';
import type { Principal } from '../core/principal.js';
import { HttpError } from '../errors.js';

/** Asymmetric algorithms only: an HS256 token "signed" with the public key (algorithm confusion) never verifies. */
const ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

type AuthOutcome =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly error: HttpError; readonly challenge: string };

interface AuthRequest {
  readonly authorization: string | undefined;
  /** The request target (path and query). */
  readonly url: string;
  /** Where this resource's metadata is served (RFC 9728), for the challenge. */
  readonly metadataUrl: string;
}

/** A file's identity for "has it changed": modification time, size and inode. */
const versionOf = async (path: string): Promise<string> => {
  const s = await stat(path);
  return `${s.mtimeMs}:${s.size}:${s.ino}`;
};

/**
 * A JWKS from a file, re-read when a token names a key it does not hold (rotation by file) and the
 * file has changed since it was read: a flood of tokens with made-up `kid`s costs a `stat` each, not a
 * read and parse, and a real rotation is picked up at once.
 */
const fileKeySet = (path: string): JWTVerifyGetKey => {
  let current: Promise<JWTVerifyGetKey> | undefined;
  let version: string | undefined;
  const load = () =>
    (current = versionOf(path).then(async (v) => {
      version = v;
      return createLocalJWKSet(JSON.parse(await readFile(path, 'utf8')) as JSONWebKeySet);
    }));
  return async (header, token) => {
    try {
      return await (
        await (current ?? load())
      )(header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
      if ((await versionOf(path).catch(() => undefined)) === version) throw error;
      return (await load())(header, token);
    }
  };
};

const keySetOf = (jwks: string, configPath: string): JWTVerifyGetKey =>
  /^https?:\/\//.test(jwks)
    ? createRemoteJWKSet(new URL(jwks), { cooldownDuration: 2_000, cacheMaxAge: 600_000 })
    : fileKeySet(resolve(dirname(configPath), jwks));

const scopesOf = (payload: JWTPayload): Set<string> => {
  const scope = payload['scope'];
  const scp = payload['scp'];
  return new Set([
    ...(typeof scope === 'string' ? scope.split(' ').filter(Boolean) : []),
    ...(Array.isArray(scp) ? scp.filter((s): s is string => typeof s === 'string') : []),
  ]);
};

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * toolgate as an OAuth 2.1 resource server: a bearer JWT verified against the issuer's JWKS
 * (signature, `iss`, `aud` = toolgate's resource URI, `exp`/`nbf` with small skew), or a static API
 * key compared by SHA-256 in constant time. The token is never forwarded upstream and never logged.
 * @example
 * const authenticate = createAuthenticator(config.auth, config.agents, configPath);
 */
/** What the HTTP front needs: the check of each request, and the RFC 9728 metadata document. */
export interface Authenticate {
  check(request: AuthRequest): Promise<AuthOutcome>;
  metadata(resource: string): Record<string, unknown>;
}

export const createAuthenticator = (
  auth: AuthConfig,
  agents: AgentsConfig,
  configPath: string,
): Authenticate => {
  const keys = auth.jwt && keySetOf(auth.jwt.jwks, configPath);
  const apiKeys = auth.apiKeys.map((k) => ({ ...k, digest: Buffer.from(k.sha256, 'hex') }));
  const refuse = (
    code: 'HTTP_UNAUTHORIZED' | 'HTTP_INSUFFICIENT_SCOPE' | 'HTTP_TOKEN_IN_QUERY',
    message: string,
    challenge: string,
  ): AuthOutcome => ({
    ok: false,
    error: new HttpError(code, message),
    challenge,
  });

  const check = async ({ authorization, url, metadataUrl }: AuthRequest): Promise<AuthOutcome> => {
    const base = `Bearer resource_metadata="${metadataUrl}"`;
    const query = new URL(url, 'http://localhost').searchParams;
    if (query.has('access_token') || query.has('token'))
      return refuse(
        'HTTP_TOKEN_IN_QUERY',
        'tokens are never accepted in the query string',
        `${base}, error="invalid_request"`,
      );
    const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(authorization ?? '');
    if (!match?.[1]) return refuse('HTTP_UNAUTHORIZED', 'a bearer token is required', base);
    const token = match[1];
    const digest = sha256(token);
    const key = apiKeys.find((k) => timingSafeEqual(k.digest, digest));
    if (key) return { ok: true, principal: httpPrincipal(agents, key.id, key.groups) };
    if (!auth.jwt || !keys || token.split('.').length !== 3)
      return refuse('HTTP_UNAUTHORIZED', 'invalid bearer token', `${base}, error="invalid_token"`);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: auth.jwt.issuer,
        audience: auth.jwt.audience,
        algorithms: ALGORITHMS,
        clockTolerance: auth.jwt.clockToleranceSec,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      const why = error instanceof joseErrors.JOSEError ? error.code : 'ERR_INVALID';
      return refuse(
        'HTTP_UNAUTHORIZED',
        `invalid bearer token (${why})`,
        `${base}, error="invalid_token"`,
      );
    }
    const missing = auth.jwt.requiredScopes.filter((s) => !scopesOf(payload).has(s));
    if (missing.length > 0)
      return refuse(
        'HTTP_INSUFFICIENT_SCOPE',
        `the token lacks the scopes ${missing.join(' ')}`,
        `${base}, error="insufficient_scope", scope="${auth.jwt.requiredScopes.join(' ')}"`,
      );
    // An API key's agent is named by the operator: an issuer's subject of the same name is not it.
    if (apiKeys.some((k) => k.id === payload.sub))
      return refuse(
        'HTTP_UNAUTHORIZED',
        `invalid bearer token (its subject ${String(payload.sub)} is an API key's agent)`,
        `${base}, error="invalid_token"`,
      );
    const claim = payload[auth.jwt.groupsClaim];
    const groups = Array.isArray(claim)
      ? claim.filter((g): g is string => typeof g === 'string')
      : [];
    return { ok: true, principal: httpPrincipal(agents, String(payload.sub), groups) };
  };
  return { check, metadata: (resource) => resourceMetadata(auth, resource) };
};

/** The protected-resource metadata document (RFC 9728) of toolgate's /mcp endpoint. */
const resourceMetadata = (auth: AuthConfig, resource: string): Record<string, unknown> => ({
  resource: auth.jwt?.audience ?? resource,
  ...(auth.jwt && { authorization_servers: [auth.jwt.issuer] }),
  bearer_methods_supported: ['header'],
  ...(auth.jwt?.requiredScopes.length && { scopes_supported: auth.jwt.requiredScopes }),
});
