import { describe, expect, it } from 'vitest';
import { checkUris, createSchemaValidator, measure, type OutputLimits } from './validate.js';

const limits: OutputLimits = {
  maxBytes: 10_000,
  maxDepth: 8,
  maxItems: 100,
  maxSchemaBytes: 4096,
  allowSchemes: [],
};
const schema = {
  type: 'object',
  properties: { count: { type: 'number' } },
  required: ['count'],
  additionalProperties: false,
};

describe('when validating structured content [OUT-1]', () => {
  const v = createSchemaValidator(limits.maxSchemaBytes);
  it('accepts content that matches and refuses content that does not', () => {
    expect(v.check(schema, { structuredContent: { count: 3 } })).toEqual({ ok: true });
    expect(v.check(schema, { structuredContent: { count: 'x' } })).toMatchObject({
      ok: false,
      code: 'OUTPUT_SCHEMA_MISMATCH',
    });
    expect(v.check(schema, { structuredContent: { count: 1, extra: true } })).toMatchObject({
      ok: false,
      code: 'OUTPUT_SCHEMA_MISMATCH',
    });
  });
  it('refuses a missing structuredContent when the tool declares a schema, but not an error result', () => {
    expect(v.check(schema, { content: [] })).toMatchObject({
      ok: false,
      code: 'OUTPUT_SCHEMA_MISMATCH',
    });
    expect(v.check(schema, { content: [], isError: true })).toEqual({ ok: true });
  });
  it('refuses an unusable or oversized schema instead of skipping the check', () => {
    expect(v.check({ type: 'nonsense' }, { structuredContent: {} })).toMatchObject({
      ok: false,
      code: 'OUTPUT_SCHEMA_INVALID',
    });
    expect(
      v.check({ type: 'object', description: 'x'.repeat(5000) }, { structuredContent: {} }),
    ).toMatchObject({ ok: false, code: 'OUTPUT_SCHEMA_INVALID' });
    expect(
      v.check({ $ref: 'https://evil.example/schema.json' }, { structuredContent: {} }),
    ).toMatchObject({ ok: false, code: 'OUTPUT_SCHEMA_INVALID' });
  });
});

describe('when measuring results [OUT-3]', () => {
  it('caps size, depth and item count', () => {
    expect(measure({ a: 'x'.repeat(20_000) }, limits)).toMatchObject({
      ok: false,
      code: 'OUTPUT_TOO_LARGE',
    });
    let deep: unknown = 1;
    for (let i = 0; i < 10; i++) deep = { d: deep };
    expect(measure(deep, limits)).toMatchObject({ ok: false, code: 'OUTPUT_TOO_DEEP' });
    expect(measure({ list: Array.from({ length: 200 }, () => 1) }, limits)).toMatchObject({
      ok: false,
      code: 'OUTPUT_TOO_MANY_ITEMS',
    });
    expect(measure({ content: [{ type: 'text', text: 'ok' }] }, limits)).toEqual({ ok: true });
  });
});

describe('when checking URIs [OUT-2]', () => {
  const link = (uri: string) => ({ content: [{ type: 'resource_link', uri, name: 'x' }] });
  it('denies file:, javascript: and data: links, also disguised, unless allowed', () => {
    expect(checkUris(link('file:///etc/passwd'), limits)).toMatchObject({
      ok: false,
      code: 'OUTPUT_URI_DENIED',
    });
    expect(checkUris(link(' JavaScript:alert(1)'), limits)).toMatchObject({
      ok: false,
      code: 'OUTPUT_URI_DENIED',
    });
    expect(
      checkUris(
        { content: [{ type: 'resource', resource: { uri: 'data:text/html,<b>x</b>', text: '' } }] },
        limits,
      ),
    ).toMatchObject({ ok: false });
    expect(checkUris(link('file:///srv/doc.md'), { ...limits, allowSchemes: ['file'] })).toEqual({
      ok: true,
    });
    expect(checkUris(link('https://example.com/doc'), limits)).toEqual({ ok: true });
    expect(checkUris(link('demo://resource/1'), limits)).toEqual({ ok: true });
  });
});
