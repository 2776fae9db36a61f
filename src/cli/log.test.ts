import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { configureLog } from '../log.js';
import { logEvent } from './log.js';

let lines: Record<string, unknown>[];

beforeEach(() => {
  vi.useFakeTimers();
  lines = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  configureLog({ format: 'json', level: 'info', destination });
});

afterEach(() => {
  vi.useRealTimers();
  configureLog({ format: 'json', level: 'info' });
});

const stderrLine = (server: string, n: number) =>
  logEvent({ kind: 'upstream', server, event: { kind: 'stderr', line: `line ${n}` } });

describe('when a server floods the log with per-connection events', () => {
  it('logs the first 20 of a 10 s window one by one, then one summary line for the rest', () => {
    for (let n = 0; n < 75; n++) stderrLine('chatty', n);
    stderrLine('quiet', 0); // another server's window is its own
    expect(lines.filter((l) => l['server'] === 'chatty')).toHaveLength(20);
    expect(lines.filter((l) => l['server'] === 'quiet')).toHaveLength(1);
    vi.advanceTimersByTime(10_000);
    const summaries = lines.filter((l) => 'summarized' in l);
    expect(summaries).toEqual([
      expect.objectContaining({
        level: 'info',
        message: '55 more upstream chatty events in 10 s, summarized',
        summarized: 55,
      }),
    ]);
  });

  it('starts a new window after 10 s, logging one by one again', () => {
    for (let n = 0; n < 21; n++) stderrLine('again', n);
    vi.advanceTimersByTime(10_000);
    const before = lines.length;
    stderrLine('again', 99);
    expect(lines.slice(before)).toEqual([
      expect.objectContaining({ server: 'again', message: 'upstream' }),
    ]);
  });
});

describe('when a server cannot start or gives up', () => {
  it('[OPS-4] logs a crash or a hang as warn and a server that gave up as error, its life as info', () => {
    logEvent({ kind: 'upstream', server: 'a', event: { kind: 'started', era: '2025-11-25' } });
    logEvent({
      kind: 'upstream',
      server: 'a',
      event: { kind: 'crashed', reason: 'could not start' },
    });
    logEvent({ kind: 'upstream', server: 'a', event: { kind: 'hung' } });
    logEvent({
      kind: 'upstream',
      server: 'a',
      event: { kind: 'restarting', attempt: 1, delayMs: 250 },
    });
    logEvent({ kind: 'upstream', server: 'a', event: { kind: 'failed', reason: 'gave up' } });
    expect(lines.map((l) => [(l['event'] as { kind: string }).kind, l['level']])).toEqual([
      ['started', 'info'],
      ['crashed', 'warn'],
      ['hung', 'warn'],
      ['restarting', 'info'],
      ['failed', 'error'],
    ]);
  });
});
