import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { toCanonicalJson } from '../core/canonical-json.js';
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
  mint(binding: ApprovalBinding, now: number): Promise<string>;
  /**
   * Checks an echoed state against the call that echoes it, and spends it. Rejects with
   * `APPROVAL_STATE_INVALID` for a forged, altered, replayed or foreign state, `APPROVAL_TIMEOUT` for
   * one past its expiry.
   */
  redeem(state: string, binding: ApprovalBinding, now: number): Promise<void>;
  close?(): void;
}

/**
 * Where the MAC key and the spent nonces live: this process's memory, or (cluster mode) a store every
 * replica shares, so a re-sent call may reach any replica and a state is spent once across all.
 */
export interface StateVault {
  key(): Promise<Buffer>;
  /** Marks `nonce` spent until `expiry`; false when it already was. */
  spend(nonce: string, expiry: number, now: number): Promise<boolean>;
  close?(): void;
}

/** The vault of one process: a random key, spent nonces kept until their expiry. */
export const memoryVault = (key: Buffer = randomBytes(32)): StateVault => {
  const spent = new Map<string, number>();
  return {
    key: () => Promise.resolve(key),
    spend: (nonce, expiry, now) => {
      for (const [n, e] of spent) if (e < now) spent.delete(n);
      if (spent.has(nonce)) return Promise.resolve(false);
      spent.set(nonce, expiry);
      return Promise.resolve(true);
    },
  };
};

/** RFC 8785 JSON: the same arguments give the same digest whatever their key order (none: `null`). */
const canonical = (value: unknown): string =>
  value === undefined ? 'null' : toCanonicalJson(value);

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
  vault: StateVault = memoryVault(),
): ApprovalStates => {
  const macOf = async (nonce: string, expiry: number, binding: ApprovalBinding) =>
    createHmac('sha256', await vault.key())
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
  return {
    async mint(binding, now) {
      const nonce = randomBytes(16).toString('base64url');
      const expiry = now + ttlMs;
      return `v1.${nonce}.${expiry}.${(await macOf(nonce, expiry, binding)).toString('base64url')}`;
    },
    async redeem(state, binding, now) {
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
      const expected = await macOf(nonce, expiry, binding);
      const given = Buffer.from(mac, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        throw invalid('not minted for this agent, tool, arguments and rule');
      if (!(await vault.spend(nonce, Math.max(expiry, now), now))) throw invalid('already used');
      if (expiry < now)
        throw new AuthzError('APPROVAL_TIMEOUT', `the approval was answered after ${ttlMs} ms`);
    },
    ...(vault.close && { close: () => vault.close?.() }),
  };
};
