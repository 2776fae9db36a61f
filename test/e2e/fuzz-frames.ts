import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { expect } from 'vitest';
import { dataCode, recording } from './gateway-process.js';

/**
 * The hostile frames of the property tests at both fronts (fuzz-stdio: `toolgate run`, fuzz-http:
 * `toolgate serve`), in front of a recording upstream. Every payload carries MARKER; the upstream's record must never
 * contain it, the gateway must keep answering, and each refusal must carry a stable data.code.
 */
const MAX_BYTES = 32 * 1024;
const MAX_DEPTH = 24;
export const MARKER = `fuzz-marker-${randomUUID()}`;
export const RUNS = 60;

export type Message = Record<string, unknown>;
type Id = string | number;

/** One hostile frame and the refusal it must get (`id` when the frame's id is recoverable). */
interface Case {
  readonly kind: string;
  readonly bytes: Buffer;
  readonly code: string;
  readonly rpc?: number;
  readonly id?: Id;
}

const callText = (id: Id, name = 'rec__echo', extra = '') =>
  `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"tools/call","params":{"name":"${name}","arguments":{"text":"${MARKER}"${extra}}}}`;

const numericId = fc.integer({ min: 1, max: 2 ** 40 });
export const anyId = fc.oneof(numericId, fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/));

const truncated = fc.tuple(anyId, fc.nat()).map(([id, cut]): Case => {
  const text = callText(id);
  return {
    kind: 'truncated',
    bytes: Buffer.from(text.slice(0, 1 + (cut % (text.length - 1)))),
    code: 'FRAME_PARSE_ERROR',
    rpc: -32700,
  };
});

const invalidUtf8 = fc
  .tuple(
    anyId,
    fc.constantFrom(
      [0xff],
      [0xc3, 0x28],
      [0xed, 0xa0, 0x80],
      [0xf8, 0x88, 0x80, 0x80, 0x80],
      [0xe2, 0x82],
      [0xc0, 0xaf],
    ),
  )
  .map(([id, bad]): Case => {
    const [head, tail] = callText(id).split(MARKER) as [string, string];
    return {
      kind: 'utf8',
      bytes: Buffer.concat([Buffer.from(head + MARKER), Buffer.from(bad), Buffer.from(tail)]),
      code: 'FRAME_INVALID_UTF8',
    };
  });

const MUTATIONS: ReadonlyArray<(m: Message) => void> = [
  (m) => (m['jsonrpc'] = '1.0'),
  (m) => delete m['jsonrpc'],
  (m) => (m['method'] = 42),
  (m) => (m['method'] = ''),
  (m) => (m['method'] = 'x'.repeat(300)),
  (m) => (m['params'] = [MARKER]),
  (m) => (m['params'] = MARKER),
  (m) => (m['params'] = null),
];
const badEnvelope = fc
  .tuple(anyId, fc.integer({ min: 0, max: MUTATIONS.length - 1 }))
  .map(([id, i]): Case => {
    const message = JSON.parse(callText(id)) as Message;
    MUTATIONS[i]?.(message);
    return {
      kind: 'envelope',
      bytes: Buffer.from(JSON.stringify(message)),
      code: 'FRAME_INVALID_JSONRPC',
      rpc: -32600,
      id,
    };
  });

const nonObject = fc
  .oneof(
    fc.integer(),
    fc.string({ maxLength: 40 }).map((s) => MARKER + s),
    fc.constant(null),
    fc.boolean(),
  )
  .map((v): Case => ({
    kind: 'non-object',
    bytes: Buffer.from(JSON.stringify(v)),
    code: 'FRAME_INVALID_JSONRPC',
    rpc: -32600,
  }));

const batch = fc.array(anyId, { minLength: 1, maxLength: 5 }).map((ids): Case => ({
  kind: 'batch',
  bytes: Buffer.from(`[${ids.map((id) => callText(id)).join(',')}]`),
  code: 'LIMIT_BATCH_REJECTED',
  rpc: -32600,
}));

const deep = fc
  .tuple(numericId, fc.integer({ min: MAX_DEPTH + 1, max: 4000 }), fc.boolean())
  .map(([id, depth, arrays]): Case => {
    const [open, close] = arrays ? ['[', ']'] : ['{"a":', '}'];
    const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
    return {
      kind: 'deep',
      bytes: Buffer.from(callText(id, 'rec__echo', `,"x":${nested}`)),
      code: 'LIMIT_TOO_DEEP',
      rpc: -32600,
      id,
    };
  });

const oversized = fc
  .tuple(numericId, fc.integer({ min: 1, max: 2 * MAX_BYTES }))
  .map(([id, extra]): Case => ({
    kind: 'oversized',
    bytes: Buffer.from(callText(id, 'rec__echo', `,"pad":"${'p'.repeat(MAX_BYTES + extra)}"`)),
    code: 'LIMIT_MESSAGE_TOO_LARGE',
    id,
  }));

const unknownMethod = fc
  .tuple(anyId, fc.stringMatching(/^[a-z]{1,12}\/[a-z_]{1,12}$/))
  .map(([id, method]): Case => ({
    kind: 'unknown-method',
    bytes: Buffer.from(
      JSON.stringify({ jsonrpc: '2.0', id, method: `fuzz/${method}`, params: { text: MARKER } }),
    ),
    code: '',
    rpc: -32601,
    id,
  }));

const denied = anyId.map((id): Case => ({
  kind: 'denied',
  bytes: Buffer.from(callText(id, 'rec__secret')),
  code: 'POLICY_TOOL_DENIED',
  rpc: -32003,
  id,
}));

export const hostile = fc.oneof(
  truncated,
  invalidUtf8,
  badEnvelope,
  nonObject,
  batch,
  deep,
  oversized,
  unknownMethod,
  denied,
);

export const config = (recordFile: string) => ({
  limits: { maxMessageBytes: MAX_BYTES, maxDepth: MAX_DEPTH },
  servers: { rec: { ...recording(recordFile), tools: ['echo'] } },
});

/** The front's answer must refuse with the case's code and, when recoverable, its id. */
export const expectRefusal = (answer: Message | undefined, c: Case, code = c.code): void => {
  expect(answer, `no answer to ${c.kind}`).toBeDefined();
  expect(answer?.['result']).toBeUndefined();
  if (code !== '') expect(dataCode(answer)).toBe(code);
  if (c.rpc !== undefined && code === c.code)
    expect((answer?.['error'] as { code?: unknown }).code).toBe(c.rpc);
  expect(answer?.['id']).toEqual(c.id ?? null);
};
