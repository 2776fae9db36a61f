import { describe, expect, it } from 'vitest';
import { AuthzError } from '../errors.js';
import { createApprovalStates, type ApprovalBinding } from './approval-state.js';

const CALL: ApprovalBinding = {
  agent: 'ci-bot',
  server: 'chat',
  tool: 'send_message',
  arguments: { to: 'eve@evil.test', text: 'hi' },
  rule: 'external-mail',
};
const T0 = 1_800_000_000_000;

const codeOf = async (redeem: () => Promise<void>): Promise<string | undefined> => {
  try {
    await redeem();
  } catch (error) {
    return error instanceof AuthzError ? error.code : String(error);
  }
  return undefined;
};

describe('approval states for 2026-07-28 clients', async () => {
  it('[APPR-3] redeem once for the call they were minted for, whatever the order of its arguments', async () => {
    const states = createApprovalStates(60_000);
    const state = await states.mint(CALL, T0);
    const reordered = { ...CALL, arguments: { text: 'hi', to: 'eve@evil.test' } };
    expect(await codeOf(() => states.redeem(state, reordered, T0 + 1000))).toBeUndefined();
    expect(await codeOf(() => states.redeem(state, CALL, T0 + 2000))).toBe(
      'APPROVAL_STATE_INVALID',
    );
  });

  it('[APPR-3] are refused for another agent, server, tool, arguments or rule, and under another key', async () => {
    const states = createApprovalStates(60_000);
    const state = await states.mint(CALL, T0);
    for (const other of [
      { agent: 'other-bot' },
      { server: 'mail' },
      { tool: 'send_file' },
      { arguments: { to: 'eve@evil.test', text: 'hi!' } },
      { rule: 'privateValueInSink' },
    ])
      expect(
        await codeOf(() => states.redeem(state, { ...CALL, ...other }, T0)),
        JSON.stringify(other),
      ).toBe('APPROVAL_STATE_INVALID');
    expect(await codeOf(() => createApprovalStates(60_000).redeem(state, CALL, T0))).toBe(
      'APPROVAL_STATE_INVALID',
    );
    // The failed attempts spent nothing: the rightful call still redeems it.
    expect(await codeOf(() => states.redeem(state, CALL, T0))).toBeUndefined();
  });

  it('[APPR-3] time out past approval.timeoutMs, and an altered expiry breaks the MAC', async () => {
    const states = createApprovalStates(60_000);
    const state = await states.mint(CALL, T0);
    const [v, nonce, expiry, mac] = state.split('.');
    const extended = `${v}.${nonce}.${Number(expiry) + 60_000}.${mac}`;
    expect(await codeOf(() => states.redeem(extended, CALL, T0 + 90_000))).toBe(
      'APPROVAL_STATE_INVALID',
    );
    expect(await codeOf(() => states.redeem(state, CALL, T0 + 60_001))).toBe('APPROVAL_TIMEOUT');
    for (const junk of ['', 'v1', 'v2.a.1.b', 'v1.a.b.c', `${state}.x`])
      expect(await codeOf(() => states.redeem(junk, CALL, T0)), junk).toBe(
        'APPROVAL_STATE_INVALID',
      );
  });
});
