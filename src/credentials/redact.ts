/**
 * Replaces every occurrence of a secret value in strings, deep in a JSON value, with `[REDACTED:NAME]`.
 * Used on everything a server sends back (results, errors, lists, stderr lines), so a server that echoes
 * its own credential cannot hand it to the agent or the logs.
 * @example createRedactor({ TOKEN: 's3cr3t' })('x s3cr3t') // 'x [REDACTED:TOKEN]'
 */
export type Redactor = <T>(value: T) => T;

/** Secrets shorter than this are not redacted: replacing "a" everywhere would garble output and reveal it anyway. */
const MIN_REDACTED_LENGTH = 4;

export const createRedactor = (secrets: Readonly<Record<string, string>>): Redactor => {
  const entries = Object.entries(secrets)
    .filter(([, v]) => v.length >= MIN_REDACTED_LENGTH)
    .sort(([, a], [, b]) => b.length - a.length);
  if (entries.length === 0) return (value) => value;
  const redactString = (s: string): string => {
    let out = s;
    for (const [name, value] of entries)
      if (out.includes(value)) out = out.split(value).join(`[REDACTED:${name}]`);
    return out;
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return redactString(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactString(k), walk(v)]));
    return value;
  };
  return <T>(value: T): T => walk(value) as T;
};
