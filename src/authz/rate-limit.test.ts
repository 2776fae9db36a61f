import { describe, expect, it } from 'vitest';
import { createMemoryRateStore } from './rate-limit.js';

describe('when a bucket is drained', () => {
  it('[RATE-1] refuses past the capacity with the time until the next token, and refills with time', () => {
    const store = createMemoryRateStore();
    const bucket = { capacity: 2, refillPerSecond: 0.5 };
    expect(store.take('a', bucket, 0)).toEqual({ ok: true });
    expect(store.take('a', bucket, 0)).toEqual({ ok: true });
    expect(store.take('a', bucket, 0)).toEqual({ ok: false, retryAfterMs: 2000 });
    expect(store.take('b', bucket, 0)).toEqual({ ok: true }); // other keys keep their own bucket
    expect(store.take('a', bucket, 1000)).toEqual({ ok: false, retryAfterMs: 1000 });
    expect(store.take('a', bucket, 2000)).toEqual({ ok: true });
  });
});
