import canonicalizeModule from 'canonicalize';

// canonicalize is CommonJS: its default export is the module function itself.
const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined;

/**
 * RFC 8785 (JCS) canonical JSON of a value: the one serializer behind every digest toolgate compares
 * (lock pins, audit entries, approval states). Throws on a value JSON cannot carry.
 */
export const toCanonicalJson = (value: unknown): string => {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
};
