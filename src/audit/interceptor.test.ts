import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DetectError } from '../errors.js';
import { compose, type Interceptor, type Message, type Next } from '../core/interceptor.js';
import { createAuditInterceptors } from './interceptor.js';
import { createKeys, loadKeys } from './keys.js';
import { AuditLog } from './log.js';
import { createRedactor } from './redact.js';
import { openJsonlStore } from './store-jsonl.js';

const ORIGIN = 'test.example/audit';

/** The audit pair around a defense, on a real JSONL log in a temp dir. */
const rig = (
  defense: (note: (event: Record<string, unknown>, message?: Message) => boolean) => Interceptor,
) => {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-audit-interceptor-'));
  createKeys(join(dir, 'key'), join(dir, 'key.pub'), ORIGIN);
  const keys = loadKeys(join(dir, 'key'));
  const store = openJsonlStore(join(dir, 'audit.jsonl'), 'normal');
  const log = new AuditLog(store, {
    signer: keys.signer,
    origin: ORIGIN,
    everyEntries: 1000,
    everySeconds: 3600,
  });
  const forwarded: string[] = [];
  const terminal: Next = async (m) => {
    forwarded.push(m.method);
    return { content: [] };
  };
  const audit = createAuditInterceptors({
    log,
    redactor: createRedactor(keys.hmacKey, []),
    policy: 'p'.repeat(64),
    clear: {},
    targetHash: (server, method, target) =>
      server === 's' && method === 'tools/call' && target === 'echo' ? 'a'.repeat(64) : undefined,
  });
  const send = compose([audit.recordOutcome, defense(audit.note), audit.recordForward], terminal);
  const entries = () =>
    store
      .entries()
      .map(
        (e) => JSON.parse(e.body) as Record<string, unknown> & { seq: number; decision: string },
      );
  return { send, entries, forwarded, note: audit.note };
};

const call = (name: string): Message => ({
  kind: 'request',
  direction: 'to-server',
  method: 'tools/call',
  params: { name, arguments: { text: 'hi' } },
  server: 's',
  principal: { id: 'agent', transport: 'stdio' },
  signal: new AbortController().signal,
});

describe('when a defense reports a verdict inside a call', () => {
  it('[AUD-1] a warning is appended before the forward, a block before the denial, both with the call id and the pinned hash', async () => {
    const { send, entries, forwarded } = rig((note) => async (m, next) => {
      note(
        {
          kind: 'content',
          defense: 'detect',
          action: m.params['name'] === 'bad' ? 'block' : 'warn',
        },
        m,
      );
      if (m.params['name'] === 'bad') throw new DetectError('DETECT_INJECTION', 'blocked');
      return next(m);
    });
    await send(call('echo'));
    await expect(send(call('bad'))).rejects.toThrow('blocked');
    const [warn, forward, result, block, deny] = entries();
    expect([warn, forward, result, block, deny].map((e) => e?.decision)).toEqual([
      'event',
      'forward',
      'result',
      'event',
      'deny',
    ]);
    expect(warn?.['call']).toBe(forward?.['call']);
    expect(block?.['call']).toBe(deny?.['call']);
    expect(block?.['event']).toMatchObject({ action: 'block' });
    expect(forward?.['targetHash']).toBe('a'.repeat(64));
    expect(deny).toMatchObject({ reason: 'DETECT_INJECTION' });
    expect(deny?.['targetHash']).toBeUndefined();
    expect(forwarded).toEqual(['tools/call']);
  });

  it('[AUD-1] outside a call nothing is taken, so the caller records the event itself', () => {
    const { note } = rig(() => async (m, next) => next(m));
    expect(note({ kind: 'pin' })).toBe(false);
    expect(note({ kind: 'pin' }, call('echo'))).toBe(false);
  });
});
