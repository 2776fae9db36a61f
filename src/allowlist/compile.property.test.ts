import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { Message } from '../core/interceptor.js';
import { compileAllowlist, type ItemKind } from './compile.js';
import { decideAllowlist, filterListResult } from './decide.js';

const KINDS: readonly ItemKind[] = ['tool', 'prompt', 'resource'];
/** Names biased towards look-alikes of listed ones and of Object.prototype's keys. */
const name = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'echo',
    'Echo',
    'echo ',
    '*',
    'e*',
  ),
);
const list: fc.Arbitrary<string[]> = fc.oneof(
  fc.uniqueArray(
    name.filter((n) => n !== '*'),
    { maxLength: 5 },
  ),
  fc.constant<string[]>(['*']),
);

const message = (method: string, params: Record<string, unknown>): Message => ({
  kind: 'request',
  direction: 'to-server',
  method,
  params,
  server: 's',
  principal: { id: 't', transport: 'stdio' },
  signal: new AbortController().signal,
});

describe('when compiling allowlists (properties)', () => {
  it('[ALLOW-2] allows exactly the listed names; the wildcard only when "*" is the whole list', () => {
    fc.assert(
      fc.property(
        list,
        list,
        list,
        name,
        fc.constantFrom(...KINDS),
        (tools, prompts, resources, probe, kind) => {
          const allowlist = compileAllowlist(
            parseConfig({ servers: { s: { command: 'x', tools, prompts, resources } } }),
          );
          const listed = { tool: tools, prompt: prompts, resource: resources }[kind];
          const expected = listed.length === 1 && listed[0] === '*' ? true : listed.includes(probe);
          expect(allowlist.allows('s', kind, probe)).toBe(expected);
          // No other server, known or not, inherits anything.
          expect(allowlist.allows('other', kind, probe)).toBe(false);
          expect(allowlist.allows(probe, kind, probe)).toBe(probe === 's' && expected);
        },
      ),
    );
  });

  it('[ALLOW-2] refuses "*" beside other names at config load (a wildcard is never implied)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          name.filter((n) => n !== '*'),
          { minLength: 1, maxLength: 4 },
        ),
        (names) => {
          const tools: string[] = [...names, '*'];
          expect(() => parseConfig({ servers: { s: { command: 'x', tools } } })).toThrow(
            /"\*" must be the only entry/,
          );
        },
      ),
    );
  });

  it('[ALLOW-2] decides any method and name with a coded answer, and a list keeps only allowed items', () => {
    const allowlist = compileAllowlist(
      parseConfig({ servers: { s: { command: 'x', tools: ['echo'], prompts: ['greet'] } } }),
    );
    fc.assert(
      fc.property(
        fc.oneof(name, fc.constantFrom('tools/call', 'prompts/get', 'resources/read')),
        name,
        (method, probe) => {
          const decision = decideAllowlist(allowlist, message(method, { name: probe, uri: probe }));
          if (!decision.ok) expect(decision.code).toMatch(/^POLICY_[A-Z_]+_DENIED$/);
          else if (method === 'tools/call') expect(probe).toBe('echo');
          const kept = filterListResult(allowlist, 's', method, {
            tools: [{ name: probe }, { name: 'echo' }],
          });
          if (method === 'tools/list')
            expect(kept).toEqual({
              tools: probe === 'echo' ? [{ name: 'echo' }, { name: 'echo' }] : [{ name: 'echo' }],
            });
        },
      ),
    );
  });

  it('[ALLOW-2] regression: a method named like an Object.prototype member names no item and gets a coded answer', () => {
    const allowlist = compileAllowlist(parseConfig({ servers: { s: { command: 'x' } } }));
    for (const method of ['__proto__', 'constructor', 'toString'])
      expect(decideAllowlist(allowlist, message(method, { name: 'x' }))).toEqual({ ok: true });
    expect(allowlist.allowsServerRequest('s', 'toString')).toBe(false);
  });
});
