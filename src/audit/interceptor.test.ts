import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
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
  options: {
    answer?: (m: Message) => Promise<Record<string, unknown>>;
    secrets?: string[];
    clear?: Record<string, string[]>;
  } = {},
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
  // A log left open keeps its writer in the process-wide group commit: one whose file is gone would
  // refuse every later message of this worker, in whatever test file runs next.
  onTestFinished(() => log.close());
  const forwarded: string[] = [];
  const terminal: Next = (m) => {
    forwarded.push(m.method);
    return options.answer ? options.answer(m) : Promise.resolve({ content: [] });
  };
  const audit = createAuditInterceptors({
    log,
    redactor: createRedactor(keys.hmacKey, options.secrets ?? []),
    policy: 'p'.repeat(64),
    clear: options.clear ?? {},
    targetHash: (server, method, target) =>
      server === 's' && method === 'tools/call' && target === 'echo' ? 'a'.repeat(64) : undefined,
  });
  const note = (event: Record<string, unknown>, message?: Message) => audit.note(event, message);
  const send = compose([audit.recordOutcome, defense(note), audit.recordForward], terminal);
  const entries = () =>
    store
      .entries()
      .map(
        (e) => JSON.parse(e.body) as Record<string, unknown> & { seq: number; decision: string },
      );
  return { send, entries, forwarded, note, path: join(dir, 'audit.jsonl') };
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

const pass = () => (m: Message, next: Next) => next(m);

describe('when a call ends', () => {
  it('[AUD-1] records a denial before forwarding as deny, with the defense code, and forwards nothing', async () => {
    const { send, entries, forwarded } = rig(
      () => () => Promise.reject(new DetectError('DETECT_UNSAFE_ARGUMENTS', 'refused')),
    );
    await expect(send(call('echo'))).rejects.toMatchObject({ code: 'DETECT_UNSAFE_ARGUMENTS' });
    expect(entries().map((e) => [e.decision, e['reason']])).toEqual([
      ['deny', 'DETECT_UNSAFE_ARGUMENTS'],
    ]);
    expect(forwarded).toEqual([]);
  });

  it('[AUD-1] records a failure after the forward as error, and an unexpected one as INTERNAL', async () => {
    const { send, entries } = rig(pass, {
      answer: () => Promise.reject(new Error('/secret/path')),
    });
    await expect(send(call('echo'))).rejects.toThrow('/secret/path');
    const [forward, error] = entries();
    expect([forward?.decision, error?.decision, error?.['reason']]).toEqual([
      'forward',
      'error',
      'INTERNAL',
    ]);
    expect(JSON.stringify(entries())).not.toContain('/secret/path');
  });

  it('[AUD-1] records a cancelled call as REQUEST_CANCELLED', async () => {
    const { send, entries } = rig(pass, {
      answer: () => Promise.reject(Object.assign(new Error('aborted'), { name: 'AbortError' })),
    });
    await expect(send(call('echo'))).rejects.toThrow('aborted');
    expect(entries().at(-1)).toMatchObject({ decision: 'error', reason: 'REQUEST_CANCELLED' });
  });

  it('[AUD-1] records a notification forwarded, with no result entry', async () => {
    const { send, entries } = rig(pass);
    await send({
      ...call('echo'),
      kind: 'notification',
      method: 'notifications/cancelled',
      params: {},
    });
    expect(entries().map((e) => e.decision)).toEqual(['forward']);
  });
});

describe('when arguments and results are recorded', () => {
  it('[AUD-6] stores them as keyed digests, never in clear', async () => {
    const { send, entries } = rig(pass, {
      answer: () => Promise.resolve({ content: [{ type: 'text', text: 'private result' }] }),
    });
    await send(call('echo'));
    const text = JSON.stringify(entries());
    expect(text).not.toContain('private result');
    expect(text).not.toContain('"hi"');
    expect(entries()[0]?.['args']).toMatchObject({
      hmac: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
    });
  });

  it('[AUD-6] stores a tool configured for clear recording in clear, its configured secrets redacted', async () => {
    const { send, entries } = rig(pass, {
      clear: { s: ['echo'] },
      secrets: ['sk-live-0042'],
      answer: () => Promise.resolve({ content: [{ type: 'text', text: 'key sk-live-0042' }] }),
    });
    await send(call('echo'));
    const [forward, result] = entries();
    expect(forward?.['args']).toMatchObject({ clear: { text: 'hi' } });
    expect(result?.['result']).toMatchObject({
      clear: { content: [{ type: 'text', text: 'key [REDACTED]' }] },
    });
  });

  it('[CNT-6] stores a target that holds a credential as [REDACTED]', async () => {
    const { send, entries } = rig(pass, { secrets: ['sk-live-0042'] });
    await send(call('sk-live-0042'));
    expect(entries().map((e) => e['target'])).toEqual(['[REDACTED]', '[REDACTED]']);
  });
});

describe('when the log cannot record', () => {
  it('[AUD-2] denies with AUDIT_APPEND_FAILED and forwards nothing once the log file is gone', async () => {
    const { send, forwarded, path } = rig(pass);
    await send(call('echo'));
    rmSync(path);
    // Its lines are written at the end of this turn, and fail then (in the gateway, the way out,
    // transport/outbound.ts, refuses this call's message for it); the interceptors meet it next.
    await send(call('echo'));
    await new Promise((resolve) => setImmediate(resolve));
    const before = forwarded.length;
    await expect(send(call('echo'))).rejects.toMatchObject({ code: 'AUDIT_APPEND_FAILED' });
    await expect(send(call('echo'))).rejects.toMatchObject({ code: 'AUDIT_APPEND_FAILED' });
    expect(forwarded).toHaveLength(before);
  });
});
