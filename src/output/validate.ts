import { createHash } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';

/** Result checks (pure): structured content against the tool's outputSchema, size/depth/item caps, URI schemes. */
export type OutputCheck = { ok: true } | { ok: false; code: OutputCode; message: string };
type OutputCode =
  | 'OUTPUT_SCHEMA_MISMATCH'
  | 'OUTPUT_SCHEMA_INVALID'
  | 'OUTPUT_TOO_LARGE'
  | 'OUTPUT_TOO_DEEP'
  | 'OUTPUT_TOO_MANY_ITEMS'
  | 'OUTPUT_URI_DENIED';

export interface OutputLimits {
  readonly maxBytes: number;
  readonly maxDepth: number;
  readonly maxItems: number;
  readonly maxSchemaBytes: number;
  /** Schemes allowed although denied by default (`file`, `javascript`, `data`, `vbscript`, `blob`). */
  readonly allowSchemes: readonly string[];
}

const DENIED_SCHEMES: ReadonlySet<string> = new Set([
  'file',
  'javascript',
  'data',
  'vbscript',
  'blob',
  'jar',
  'view-source',
]);
const MAX_CACHED = 512;

/** Size, depth and item count in one walk, stopping at the first limit crossed. */
export const measure = (value: unknown, limits: OutputLimits): OutputCheck => {
  let bytes = 0;
  let items = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (depth > limits.maxDepth)
      return {
        ok: false,
        code: 'OUTPUT_TOO_DEEP',
        message: `result nested deeper than ${limits.maxDepth}`,
      };
    if (typeof v === 'string') bytes += v.length + 2;
    else if (Array.isArray(v)) {
      items += v.length;
      bytes += 2;
      for (const x of v) stack.push([x, depth + 1]);
    } else if (v && typeof v === 'object') {
      const entries = Object.entries(v);
      items += entries.length;
      for (const [k, x] of entries) {
        bytes += k.length + 4;
        stack.push([x, depth + 1]);
      }
    } else bytes += 8;
    if (items > limits.maxItems)
      return {
        ok: false,
        code: 'OUTPUT_TOO_MANY_ITEMS',
        message: `result holds more than ${limits.maxItems} items`,
      };
    if (bytes > limits.maxBytes)
      return {
        ok: false,
        code: 'OUTPUT_TOO_LARGE',
        message: `result larger than ${limits.maxBytes} bytes`,
      };
  }
  return { ok: true };
};

/** The scheme of a URI, lower-cased, with whitespace and control characters browsers ignore removed. */
const schemeOf = (uri: string): string | undefined =>
  /^([a-z][a-z0-9+.-]*):/.exec(uri.replace(/[\s\x00-\x1f]+/g, '').toLowerCase())?.[1];

/** Resource links and embedded resources of a tool result, and the contents of a resource read. */
export const checkUris = (result: Record<string, unknown>, limits: OutputLimits): OutputCheck => {
  const uris: string[] = [];
  for (const block of asArray(result['content'])) {
    if (block['type'] === 'resource_link' && typeof block['uri'] === 'string')
      uris.push(block['uri']);
    const resource = block['resource'];
    if (block['type'] === 'resource' && resource && typeof resource === 'object') {
      const uri = (resource as Record<string, unknown>)['uri'];
      if (typeof uri === 'string') uris.push(uri);
    }
  }
  for (const uri of uris) {
    const scheme = schemeOf(uri);
    if (scheme && DENIED_SCHEMES.has(scheme) && !limits.allowSchemes.includes(scheme))
      return {
        ok: false,
        code: 'OUTPUT_URI_DENIED',
        message: `a resource link uses the denied scheme "${scheme}:"`,
      };
  }
  return { ok: true };
};

const asArray = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v)
    ? v.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object')
    : [];

export interface SchemaValidator {
  /** Validates `structuredContent` of a result against `outputSchema`; the schema compiles once per hash. */
  check(outputSchema: unknown, result: Record<string, unknown>): OutputCheck;
}

/**
 * @example
 * const v = createSchemaValidator(512 * 1024);
 * v.check({ type: 'object', properties: { n: { type: 'number' } } }, { structuredContent: { n: 'x' } }).ok // false
 */
export const createSchemaValidator = (maxSchemaBytes: number): SchemaValidator => {
  // strict: false because servers' schemas carry unknown keywords; allErrors off bounds the work.
  const ajv = new Ajv({
    strict: false,
    allErrors: false,
    validateSchema: true,
    addUsedSchema: false,
    loopRequired: 200,
    loopEnum: 200,
  });
  const cache = new Map<string, ValidateFunction | Error>();
  const compile = (schema: unknown): ValidateFunction | Error => {
    const text = JSON.stringify(schema);
    if (text.length > maxSchemaBytes)
      return new Error(`outputSchema larger than ${maxSchemaBytes} bytes`);
    const key = createHash('sha256').update(text).digest('hex');
    let hit = cache.get(key);
    if (!hit) {
      try {
        // untrusted: a schema with remote $refs or bad keywords throws here; it never fetches.
        const { $schema: _ignored, ...rest } = schema as Record<string, unknown>;
        hit = ajv.compile(rest);
      } catch (error) {
        hit = error instanceof Error ? error : new Error(String(error));
      }
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
      cache.set(key, hit);
    }
    return hit;
  };
  return {
    check(outputSchema, result) {
      if (!outputSchema || typeof outputSchema !== 'object') return { ok: true };
      if (result['isError'] === true) return { ok: true };
      const validate = compile(outputSchema);
      if (validate instanceof Error)
        return {
          ok: false,
          code: 'OUTPUT_SCHEMA_INVALID',
          message: `the tool's outputSchema is unusable: ${validate.message}`,
        };
      if (!('structuredContent' in result))
        return {
          ok: false,
          code: 'OUTPUT_SCHEMA_MISMATCH',
          message: 'the tool declares an outputSchema but returned no structuredContent',
        };
      if (validate(result['structuredContent'])) return { ok: true };
      const e = validate.errors?.[0];
      return {
        ok: false,
        code: 'OUTPUT_SCHEMA_MISMATCH',
        message:
          `structuredContent does not match the outputSchema: ${e?.instancePath || '/'} ${e?.message ?? ''}`.trim(),
      };
    },
  };
};
