import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonlFollower } from './jsonl-follow.js';
import { parseJsonl } from './store-jsonl.js';

const logFile = (text: string): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'toolgate-follow-')), 'audit.jsonl');
  writeFileSync(path, text);
  return path;
};

describe('when audit tail --follow reads a JSONL log', () => {
  it('returns only what was appended, numbered as a whole read numbers it', () => {
    const path = logFile('{"a":1}\n{"checkpoint":"note"}\n{"a":2}\n');
    const next = jsonlFollower(path);
    expect(next(0).map((e) => e.body)).toEqual(['{"a":2}']); // entry 0 already shown
    expect(next(-1)).toEqual([]);
    appendFileSync(path, '{"a":"é');
    expect(next(-1)).toEqual([]); // a line still being written waits
    appendFileSync(path, '"}\n{"a":4}\n');
    const appended = next(-1);
    expect(appended.map((e) => e.body)).toEqual(['{"a":"é"}', '{"a":4}']);
    expect(appended).toEqual(parseJsonl(readFileSync(path, 'utf8')).entries.slice(2));
  });

  it('refuses a log that shrank under it (replaced, not appended to)', () => {
    const path = logFile('{"a":1}\n{"a":2}\n');
    const next = jsonlFollower(path);
    next(-1);
    writeFileSync(path, '{"b":1}\n');
    expect(() => next(-1)).toThrow(expect.objectContaining({ code: 'AUDIT_STORE_INVALID' }));
  });

  it('reads a log in chunks smaller than its lines, the same entries as a whole read', () => {
    const text = '{"a":"long line"}\n{"checkpoint":"n"}\n{"b":2}\n{"c":"ü"}\n';
    const path = logFile(text);
    expect(jsonlFollower(path, 4)(-1)).toEqual(parseJsonl(text).entries);
  });
});
