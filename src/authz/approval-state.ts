import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthzError } from '../errors.js';

/** What an approval asked through an `input_required` result is about: only this call may redeem it. */
export interface ApprovalBinding {
  readonly agent: string;
  readonly server: string;
  readonly tool: string;
  readonly arguments: unknown;
  readonly rule: string;
}

/** Mints and redeems the `requestState` of the approvals asked of 2026-07-28 clients. */
export interface ApprovalStates {
  /** An opaque state for this call, valid for `ttlMs` from `now`. */
  mint(binding: ApprovalBinding, now: number): string;
  /**
   * Checks an echoed state against the call that echoes it, and spends it. Throws
   * `APPROVAL_STATE_INVALID` for a forged, altered, replayed or foreign state, `APPROVAL_TIMEOUT` for
   * one past its expiry.
   */
  redeem(state: string, binding: ApprovalBinding, now: number): void;
}

/** JSON with object keys sorted: the same arguments give the same digest whatever their key order. */
const canonical = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

const digestOf = (binding: ApprovalBinding): string =>
  createHash('sha256').update(canonical(binding.arguments)).digest('base64url');

const invalid = (why: string): AuthzError =>
  new AuthzError(
    'APPROVAL_STATE_INVALID',
    `the approval state this call echoed is not valid for it (${why}): ask again without it`,
  );

/**
 * `requestState` for approvals: `v1.<nonce>.<expiry>.<mac>`, the MAC an HMAC-SHA256 under a key of
 * this process over the nonce, the expiry, the agent, the server, the tool, a digest of the
 * arguments and the rule. Nothing but the nonce and expiry travels: the client learns nothing of the
 * binding, and a state minted for one call fails the MAC on any other. A nonce is spent at its first
 * redemption (kept until its expiry), so an answered approval cannot be replayed.
 * @example
 * const states = createApprovalStates(120_000);
 */
export const createApprovalStates = (
  ttlMs: number,
  key: Buffer = randomBytes(32),
): ApprovalStates => {
  const spent = new Map<string, number>();
  const macOf = (nonce: string, expiry: number, binding: ApprovalBinding): Buffer =>
    createHmac('sha256', key)
      .update(
        canonical([
          'toolgate.approval.v1',
          nonce,
          expiry,
          binding.agent,
          binding.server,
          binding.tool,
          digestOf(binding),
          binding.rule,
        ]),
      )
      .digest();
  const prune = (now: number): void => {
    for (const [nonce, expiry] of spent) if (expiry < now) spent.delete(nonce);
  };
  return {
    mint(binding, now) {
      const nonce = randomBytes(16).toString('base64url');
      const expiry = now + ttlMs;
      return `v1.${nonce}.${expiry}.${macOf(nonce, expiry, binding).toString('base64url')}`;
    },
    redeem(state, binding, now) {
      const parts = state.split('.');
      const [version, nonce, expiryText, mac] = parts;
      if (
        parts.length !== 4 ||
        version !== 'v1' ||
        !nonce ||
        !mac ||
        !/^\d{1,16}$/.test(expiryText ?? '')
      )
        throw invalid('malformed');
      const expiry = Number(expiryText);
      const expected = macOf(nonce, expiry, binding);
      const given = Buffer.from(mac, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        throw invalid('not minted for this agent, tool, arguments and rule');
      prune(now);
      if (spent.has(nonce)) throw invalid('already used');
      spent.set(nonce, expiry);
      if (expiry < now)
        throw new AuthzError('APPROVAL_TIMEOUT', `the approval was answered after ${ttlMs} ms`);
    },
  };
};
