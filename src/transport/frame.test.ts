import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkValue, decodeFrame, decodeText, measureDepth, sniffId } from './frame.js';

const limits = { maxMessageBytes: 4096, maxDepth: 16 };
const enc = (s: string) => new TextEncoder().encode(s);
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('decodeFrame', () => {
  it('accepts a request, a notification and a response', () => {
    for (const m of [
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 'a', result: {} },
      { jsonrpc: '2.0', id: 2, error: { code: -1, message: 'x' } },
    ])
      expect(decodeFrame(enc(JSON.stringify(m)), limits)).toEqual({ ok: true, message: m });
  });

  it('[FRM-1] names what is wrong with a bad frame', () => {
    expect(decodeFrame(enc('{nope'), limits)).toMatchObject({
      ok: false,
      code: 'FRAME_PARSE_ERROR',
    });
    expect(decodeFrame(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), limits)).toMatchObject({
      ok: false,
      code: 'FRAME_INVALID_UTF8',
    });
    expect(decodeFrame(enc('{"jsonrpc":"1.0","id":3,"method":"x"}'), limits)).toMatchObject({
      ok: false,
      code: 'FRAME_INVALID_JSONRPC',
      id: 3,
    });
    expect(decodeFrame(enc('{"jsonrpc":"2.0","id":{"a":1},"method":"x"}'), limits)).toMatchObject({
      code: 'FRAME_INVALID_JSONRPC',
    });
    expect(
      decodeFrame(enc('{"jsonrpc":"2.0","id":1,"method":"x","params":[1]}'), limits),
    ).toMatchObject({ code: 'FRAME_INVALID_JSONRPC' });
    expect(
      decodeFrame(enc('{"jsonrpc":"2.0","id":1,"result":{},"error":{}}'), limits),
    ).toMatchObject({ code: 'FRAME_INVALID_JSONRPC' });
    expect(decodeFrame(enc('"just a string"'), limits)).toMatchObject({
      code: 'FRAME_INVALID_JSONRPC',
    });
  });

  it('[FRM-2] refuses batches', () => {
    expect(decodeFrame(enc('[{"jsonrpc":"2.0","id":1,"method":"ping"}]'), limits)).toMatchObject({
      code: 'LIMIT_BATCH_REJECTED',
    });
  });

  it('[LIM-1] refuses an oversized frame and still finds its id', () => {
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 77,
      method: 'x',
      params: { pad: 'y'.repeat(5000) },
    });
    expect(decodeFrame(enc(big), limits)).toMatchObject({
      ok: false,
      code: 'LIMIT_MESSAGE_TOO_LARGE',
      id: 77,
    });
  });

  it('[LIM-2] refuses a too-deep frame without parsing it', () => {
    expect(
      decodeText(`{"jsonrpc":"2.0","id":"d","method":"x","params":{"a":${nested(40)}}}`, limits),
    ).toMatchObject({
      ok: false,
      code: 'LIMIT_TOO_DEEP',
      id: 'd',
    });
  });

  it('[FRM-1] never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6000 }), (bytes) => {
        const result = decodeFrame(bytes, limits);
        expect(typeof result.ok).toBe('boolean');
        if (!result.ok) expect(result.code).toMatch(/^(FRAME|LIMIT)_/);
      }),
      { numRuns: 300 },
    );
  });

  it('[FRM-1] accepts exactly the valid JSON-RPC objects among arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const result = decodeText(JSON.stringify(value), {
          maxMessageBytes: 1 << 20,
          maxDepth: 64,
        });
        if (result.ok) expect((result.message as { jsonrpc: unknown }).jsonrpc).toBe('2.0');
      }),
      { numRuns: 300 },
    );
  });
});

describe('measureDepth', () => {
  it('matches the real nesting and ignores brackets in strings', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 10 }), (value) => {
        const real = (v: unknown): number =>
          v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(real)) : 0;
        expect(measureDepth(JSON.stringify(value), 1000)).toBe(real(value));
      }),
      { numRuns: 300 },
    );
    expect(measureDepth('{"a":"[[[[[\\"[["}', 100)).toBe(1);
  });
});

describe('checkValue', () => {
  it('[LIM-2] bounds depth and [LIM-1] size of parsed values', () => {
    expect(checkValue({ a: 1 }, limits)).toEqual({ ok: true });
    expect(checkValue(JSON.parse(nested(20)), limits)).toMatchObject({
      ok: false,
      code: 'LIMIT_TOO_DEEP',
    });
    expect(checkValue({ a: 'x'.repeat(5000) }, limits)).toMatchObject({
      ok: false,
      code: 'LIMIT_MESSAGE_TOO_LARGE',
    });
  });
});

describe('sniffId', () => {
  it('finds numeric and string ids at either end', () => {
    expect(sniffId('{"jsonrpc":"2.0","id":12,')).toBe(12);
    expect(sniffId('{"result":{', 'xx"},"jsonrpc":"2.0","id":"abc"}')).toBe('abc');
    expect(sniffId('{"method":"x"')).toBeUndefined();
  });
});
