import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addLogSecrets, configureLog, logLine, redactLogLine } from './log.js';

/** A logger writing into an array, with the format asked for; lines are read back as written. */
const capture = (format: 'json' | 'pretty'): string[] => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  configureLog({ format, level: 'debug', destination });
  return lines;
};

afterEach(() => configureLog({ format: 'json', level: 'info' }));

describe('when a resolved secret value reaches an operator log line', () => {
  it('[CRED-1] [SEC-1] redacts it from every JSON line, in the message and in any field', () => {
    addLogSecrets(['tok-9f8e7d6c5b4a']);
    const lines = capture('json');
    logLine('warn', 'upstream said tok-9f8e7d6c5b4a', {
      headers: { authorization: 'Bearer tok-9f8e7d6c5b4a' },
      list: ['x', 'prefix-tok-9f8e7d6c5b4a-suffix'],
    });
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? '';
    expect(line).not.toContain('tok-9f8e7d6c5b4a');
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed['message']).toBe('upstream said [REDACTED]');
    expect(parsed['headers']).toEqual({ authorization: 'Bearer [REDACTED]' });
    expect(parsed['list']).toEqual(['x', 'prefix-[REDACTED]-suffix']);
  });

  it('[CRED-1] redacts a value with characters JSON escapes, as the line carries it', () => {
    addLogSecrets(['pa"ss\\word\n42']);
    const lines = capture('json');
    logLine('info', 'connecting', { password: 'pa"ss\\word\n42' });
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ password: '[REDACTED]' });
  });

  it('[CRED-1] redacts pretty terminal lines too', async () => {
    addLogSecrets(['pretty-secret-77']);
    const lines = capture('pretty');
    logLine('error', 'failed with pretty-secret-77', { detail: 'pretty-secret-77' });
    // pino-pretty hands its line to the stream on a later tick: wait for it to arrive.
    await vi.waitFor(() => expect(lines.join('')).toContain('failed with [REDACTED]'));
    const text = lines.join('');
    expect(text).not.toContain('pretty-secret-77');
  });

  it('leaves values too short to be secrets, and lines without any, unchanged', () => {
    addLogSecrets(['abc']);
    expect(redactLogLine('{"message":"abc abcd"}')).toBe('{"message":"abc abcd"}');
  });
});
