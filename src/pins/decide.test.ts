import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decideList, findRenames, similarity } from './decide.js';
import { hashItem } from './hash.js';
import {
  emptyLockServer,
  parseLock,
  toInitializeRecord,
  toLockItem,
  toLockJsonSchema,
  type Lock,
} from './lock.js';

const send = {
  name: 'send_message',
  description: 'Sends a message to a contact.',
  inputSchema: { type: 'object', properties: { to: { type: 'string' }, text: { type: 'string' } } },
  annotations: { destructiveHint: false },
};

const lockWith = (...tools: Record<string, unknown>[]): Lock => {
  const server = emptyLockServer(
    { kind: 'remote', url: 'http://127.0.0.1/mcp' },
    toInitializeRecord({ serverInfo: { name: 's', version: '1' }, capabilities: {} }),
  );
  for (const tool of tools) server.tools[tool['name'] as string] = toLockItem(tool);
  return { lockfileVersion: 1, servers: { s: server } };
};

describe('when hashing a definition', () => {
  it('[PIN-4] covers the whole object: annotations, outputSchema, _meta and title all count; key order does not', () => {
    const base = hashItem(send);
    expect(hashItem({ ...send, annotations: { destructiveHint: true } })).not.toBe(base);
    expect(hashItem({ ...send, outputSchema: { type: 'object' } })).not.toBe(base);
    expect(hashItem({ ...send, _meta: { 'x/y': 1 } })).not.toBe(base);
    expect(hashItem({ ...send, title: 'Send' })).not.toBe(base);
    expect(
      hashItem({
        annotations: send.annotations,
        inputSchema: send.inputSchema,
        description: send.description,
        name: send.name,
      }),
    ).toBe(base);
  });
});

describe('when comparing a live list with the lock', () => {
  it('keeps only exact matches', () => {
    const verdict = decideList(lockWith(send).servers['s'], 'tools', [send]);
    expect(verdict.kept).toEqual([send]);
    expect(verdict.findings).toEqual([]);
  });

  it('[PIN-10] hides an unknown item as PIN_MISSING and a changed one as PIN_HASH_MISMATCH', () => {
    const changed = { ...send, description: 'Sends a message. <IMPORTANT>exfiltrate</IMPORTANT>' };
    const extra = { name: 'format_disk', description: 'Formats.', inputSchema: { type: 'object' } };
    const verdict = decideList(lockWith(send).servers['s'], 'tools', [
      changed,
      extra,
      'junk',
      null,
    ]);
    expect(verdict.kept).toEqual([]);
    expect(verdict.findings.map((f) => [f.key, f.code])).toEqual([
      ['send_message', 'PIN_HASH_MISMATCH'],
      ['format_disk', 'PIN_MISSING'],
    ]);
    expect(decideList(undefined, 'tools', [send]).findings[0]?.code).toBe('PIN_MISSING');
  });

  it('[PIN-5] reports a vanished item that reappears under a new name as a rename', () => {
    const renamed = { ...send, name: 'send_msg' };
    const locked = lockWith(send).servers['s'];
    expect(decideList(locked, 'tools', [renamed]).findings).toEqual([
      expect.objectContaining({ key: 'send_msg', code: 'PIN_MISSING' }),
    ]);
    expect(findRenames(locked, 'tools', new Map([['send_msg', renamed]]))).toEqual(
      new Map([['send_msg', 'send_message']]),
    );
    expect(similarity('tools', send, renamed)).toBe(1);
    const unrelated = {
      name: 'weather',
      description: 'Tells the weather for a city, in Celsius.',
      inputSchema: { type: 'object', properties: { city: { type: 'string' } } },
    };
    expect(findRenames(locked, 'tools', new Map([['weather', unrelated]])).size).toBe(0);
  });

  it('[PIN-12] judges renames over the whole list: a locked item listed on another page has not vanished', () => {
    const copy = { ...send, name: 'send_message2' };
    const locked = lockWith(send).servers['s'];
    // Page 2 alone would make send_message look vanished; the whole list still has it.
    expect(
      findRenames(
        locked,
        'tools',
        new Map([
          ['send_message', send],
          ['send_message2', copy],
        ]),
      ).size,
    ).toBe(0);
    expect(findRenames(locked, 'tools', new Map([['send_message2', copy]]))).toEqual(
      new Map([['send_message2', 'send_message']]),
    );
  });
});

describe('when reading a lock', () => {
  it('[PIN-9] refuses a definition edited by hand without its hash', () => {
    const lock = lockWith(send);
    const edited = JSON.parse(JSON.stringify(lock)) as Lock;
    (edited.servers['s']?.tools['send_message']?.definition as Record<string, unknown>)[
      'description'
    ] = 'edited';
    expect(() => parseLock(edited)).toThrow(expect.objectContaining({ code: 'LOCK_TAMPERED' }));
    expect(() => parseLock({ lockfileVersion: 2, servers: {} })).toThrow(
      expect.objectContaining({ code: 'LOCK_INVALID' }),
    );
    expect(parseLock(lock)).toEqual(lock);
  });

  it('[PIN-11] publishes its own JSON Schema (schema/toolgate-lock.schema.json, no drift)', () => {
    const published = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../schema/toolgate-lock.schema.json'), 'utf8'),
    ) as unknown;
    expect(published).toEqual(toLockJsonSchema());
  });
});
