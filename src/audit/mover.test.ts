import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Written } from './mover.js';

describe('how far the spool is written, as the store tells the mover (shared memory)', () => {
  it('[AUD-7] a reader sees exactly what was last set, past 4 GiB too (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 32 - 1 }), fc.nat({ max: Number.MAX_SAFE_INTEGER }), (generation, bytes) => {
        const store = new Written();
        const mover = new Written(store.buffer); // the other thread's view of the same memory
        store.set(generation, bytes);
        expect(mover.get()).toEqual({ generation, bytes });
      }),
    );
  });

  it('[AUD-7] a reader never takes the fields of a write under way: it tries again at its next look', () => {
    const store = new Written();
    const mover = new Written(store.buffer);
    store.set(3, 4096);
    const words = new Uint32Array(store.buffer);
    const seq = Atomics.load(words, 0);
    Atomics.store(words, 0, seq + 1); // the writer stopped between its first and last store
    Atomics.store(words, 2, 8192);
    expect(mover.get()).toBeUndefined();
    Atomics.store(words, 0, seq + 2);
    expect(mover.get()).toEqual({ generation: 3, bytes: 8192 });
  });
});
