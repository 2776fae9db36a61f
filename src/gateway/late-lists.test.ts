import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LateLists } from './late-lists.js';
import type { ListMethod } from './rewrite.js';

type Items = readonly Record<string, unknown>[];

/** A fetch the test settles itself, counting how often the list asked the server. */
const controlledFetch = () => {
  const state: { calls: number; settle: (items: Items | undefined) => void } = {
    calls: 0,
    settle: () => undefined,
  };
  const fetch = () => {
    state.calls++;
    return new Promise<Items | undefined>((resolve) => (state.settle = resolve));
  };
  return { state, fetch };
};

const TOOLS: Items = [{ name: 'late_tool' }];
const never = new AbortController().signal;

describe('LateLists', () => {
  let announced: ListMethod[];
  let late: LateLists;
  beforeEach(() => {
    vi.useFakeTimers();
    announced = [];
    late = new LateLists((method) => announced.push(method));
  });
  afterEach(() => vi.useRealTimers());

  it('[LIST-1] returns what the server answered within the budget, and keeps nothing', async () => {
    const { state, fetch } = controlledFetch();
    const wait = late.wait('tools/list', 'good', 1000, never, fetch);
    state.settle(TOOLS);
    await expect(wait).resolves.toEqual({ kind: 'in-time', items: TOOLS });
    await vi.runAllTimersAsync();
    expect(announced).toEqual([]);
    void late.wait('tools/list', 'good', 1000, never, fetch);
    expect(state.calls).toBe(2);
  });

  it('[LIST-1] answers late at the budget while the fetch goes on', async () => {
    const { fetch } = controlledFetch();
    const wait = late.wait('tools/list', 'slow', 1000, never, fetch);
    await vi.advanceTimersByTimeAsync(1000);
    await expect(wait).resolves.toEqual({ kind: 'late' });
  });

  it('[LIST-2] keeps a late answer for the next list, once, and announces it', async () => {
    const { state, fetch } = controlledFetch();
    const first = late.wait('prompts/list', 'slow', 1000, never, fetch);
    await vi.advanceTimersByTimeAsync(1000);
    await expect(first).resolves.toEqual({ kind: 'late' });
    state.settle(TOOLS);
    await vi.advanceTimersByTimeAsync(0);
    expect(announced).toEqual(['prompts/list']);
    // The list after list_changed takes the kept answer without asking again: no loop with a slow server.
    await expect(late.wait('prompts/list', 'slow', 1000, never, fetch)).resolves.toEqual({
      kind: 'in-time',
      items: TOOLS,
    });
    expect(state.calls).toBe(1);
    void late.wait('prompts/list', 'slow', 1000, never, fetch);
    expect(state.calls).toBe(2);
  });

  it('[LIST-2] lets a later list join the fetch still running, and announces nothing when it takes the answer', async () => {
    const { state, fetch } = controlledFetch();
    const first = late.wait('tools/list', 'slow', 1000, never, fetch);
    await vi.advanceTimersByTimeAsync(1000);
    await expect(first).resolves.toEqual({ kind: 'late' });
    const second = late.wait('tools/list', 'slow', 1000, never, fetch);
    expect(state.calls).toBe(1);
    state.settle(TOOLS);
    await expect(second).resolves.toEqual({ kind: 'in-time', items: TOOLS });
    await vi.runAllTimersAsync();
    expect(announced).toEqual([]);
  });

  it('announces nothing for a late fetch that failed, forgotten or whose session ended', async () => {
    for (const ending of ['failed', 'forgotten', 'closed'] as const) {
      const { state, fetch } = controlledFetch();
      const wait = late.wait('resources/list', 'slow', 1000, never, fetch);
      await vi.advanceTimersByTimeAsync(1000);
      await expect(wait).resolves.toEqual({ kind: 'late' });
      if (ending === 'forgotten') late.forget('resources/list', 'slow');
      if (ending === 'closed') late.close();
      state.settle(ending === 'failed' ? undefined : TOOLS);
      await vi.advanceTimersByTimeAsync(0);
      expect(announced, ending).toEqual([]);
    }
    expect(late.signal.aborted).toBe(true);
  });

  it('aborts the signal a fetch took before the session ended, when it ends', () => {
    const taken = late.signal;
    expect(taken.aborted).toBe(false);
    late.close();
    expect(taken.aborted).toBe(true);
    expect(late.signal).toBe(taken);
  });

  it('answers late at once when the list is cancelled', async () => {
    const { fetch } = controlledFetch();
    const cancel = new AbortController();
    const wait = late.wait('tools/list', 'slow', 60_000, cancel.signal, fetch);
    cancel.abort();
    await expect(wait).resolves.toEqual({ kind: 'late' });
  });
});
