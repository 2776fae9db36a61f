import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { registerPendingWriter } from '../audit/group-commit.js';
import { AuditError } from '../errors.js';
import { sendLogged, unlogged } from './outbound.js';

const failure = new AuditError('AUDIT_APPEND_FAILED', 'the log file is gone');
const request: JSONRPCMessage = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: {} };
const notification: JSONRPCMessage = { jsonrpc: '2.0', method: 'notifications/progress' };
const result: JSONRPCMessage = { jsonrpc: '2.0', id: 7, result: { content: [] } };

describe('when the audit log cannot write what it has pending', () => {
  it('[AUD-2] refuses a request and drops a notification', () => {
    expect(unlogged(request, failure)).toBe('refuse');
    expect(unlogged(notification, failure)).toBe('drop');
  });

  it('[AUD-2] turns a response into AUDIT_APPEND_FAILED for its request, saying the call ran', () => {
    const outcome = unlogged(result, failure);
    expect(outcome).toMatchObject({
      send: { jsonrpc: '2.0', id: 7, error: { data: { code: 'AUDIT_APPEND_FAILED' } } },
    });
    expect(JSON.stringify(outcome)).toContain('did run on the server');
    expect(JSON.stringify(outcome)).not.toContain('content');
  });

  it('[AUD-2] lets an error response that already is the audit refusal stand', () => {
    const refusal: JSONRPCMessage = {
      jsonrpc: '2.0',
      id: 3,
      error: { code: -32000, message: 'not logged', data: { code: 'AUDIT_APPEND_FAILED' } },
    };
    expect(unlogged(refusal, failure)).toEqual({ send: refusal });
  });
});

describe('when a message leaves through a logged send', () => {
  let unregister: (() => void) | undefined;
  afterEach(() => unregister?.());

  const rig = () => {
    const sent: JSONRPCMessage[] = [];
    const send = sendLogged((message: JSONRPCMessage) => {
      sent.push(message);
      return Promise.resolve();
    });
    return { send, sent };
  };

  it('writes every pending line first, then sends the message as it is', async () => {
    const order: string[] = [];
    unregister = registerPendingWriter(() => order.push('written'));
    const send = sendLogged((message: JSONRPCMessage) => {
      order.push('method' in message ? message.method : 'response');
      return Promise.resolve();
    });
    await send(request);
    expect(order).toEqual(['written', 'tools/call']);
  });

  it('[AUD-2] sends nothing it was handed when the pending lines cannot be written', async () => {
    unregister = registerPendingWriter(() => {
      throw failure;
    });
    const { send, sent } = rig();
    await expect(send(request)).rejects.toBe(failure);
    await expect(send(notification)).resolves.toBeUndefined();
    await send(result);
    expect(sent).toEqual([
      expect.objectContaining({ id: 7, error: expect.objectContaining({}) as object }),
    ]);
    expect(sent[0]).not.toHaveProperty('result');
  });
});
