import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toCanonicalJson } from '../core/canonical-json.js';
import { toEntryJson, type AuditEntry } from './event.js';

const text = fc.string({ unit: 'binary', maxLength: 12 });
const recorded = fc.oneof(
  fc.record({ hmac: text, size: fc.nat() }),
  fc.record({ clear: fc.jsonValue({ maxDepth: 2 }), size: fc.nat() }),
);
const entry: fc.Arbitrary<AuditEntry> = fc.record(
  {
    v: fc.constant(1 as const),
    seq: fc.nat(),
    time: text,
    decision: fc.constantFrom('forward', 'deny', 'result', 'error', 'event'),
    prev: text,
    call: text,
    direction: fc.constantFrom('to-server', 'to-client'),
    kind: fc.constantFrom('request', 'notification'),
    principal: text,
    server: text,
    method: text,
    target: text,
    targetHash: text,
    reason: text,
    policy: text,
    lock: text,
    args: recorded,
    result: recorded,
    latencyUs: fc.oneof(fc.nat(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    event: fc.dictionary(text, fc.jsonValue({ maxDepth: 2 })),
  },
  { requiredKeys: ['v', 'seq', 'time', 'decision', 'prev'] },
);

describe('when an entry is serialized for the log', () => {
  it('[AUD-3] every entry, free-form parts included, serializes to exactly its RFC 8785 canonical JSON (canonicalize) (property)', () => {
    fc.assert(
      fc.property(entry, (e) => {
        expect(toEntryJson(e)).toBe(toCanonicalJson(e));
      }),
      { numRuns: 2000 },
    );
  });
  it('[AUD-3] an entry of digests only (no event, nothing in clear: the one-stringify writer) gives exactly its RFC 8785 canonical JSON (property)', () => {
    const digests = fc.record({ hmac: text, size: fc.nat() });
    fc.assert(
      fc.property(entry, digests, digests, fc.boolean(), (e, args, result, both) => {
        const { event: _event, ...rest } = e;
        const plain: AuditEntry = { ...rest, args, ...(both && { result }) };
        if (!both) delete (plain as { result?: unknown }).result;
        expect(toEntryJson(plain)).toBe(toCanonicalJson(plain));
      }),
      { numRuns: 2000 },
    );
  });
  it('[AUD-3] refuses a number JSON cannot carry, as canonicalization does', () => {
    const e: AuditEntry = {
      v: 1,
      seq: 0,
      time: 't',
      decision: 'result',
      prev: 'p',
      latencyUs: Number.NaN,
    };
    expect(() => toEntryJson(e)).toThrow();
    expect(() => toCanonicalJson(e)).toThrow();
  });
});
