/**
 * The last line of defense for the operator log (SEC-1, CRED-1): every line, as written, has each
 * known secret value replaced, whatever field or message carried it. The gateway registers a
 * server's credential values at each (re)start, when they are resolved. Values are matched as they
 * appear in a JSON line (escaped) and as they appear raw (a pretty line).
 * @example addLogSecrets(['s3cr3t']); redactLogLine('{"message":"token s3cr3t"}') // '{"message":"token [REDACTED]"}'
 */

/** Shorter values are not redacted: replacing "a" everywhere would garble every line and reveal it anyway. */
const MIN_REDACTED_LENGTH = 4;
const known = new Set<string>();
let forms: readonly string[] = [];

/** Registers secret values (with their JSON-escaped forms); longest first, so a value inside another goes too. */
export const addLogSecrets = (values: readonly string[]): void => {
  const before = known.size;
  for (const value of values) {
    if (value.length < MIN_REDACTED_LENGTH) continue;
    known.add(value);
    known.add(JSON.stringify(value).slice(1, -1));
  }
  if (known.size !== before) forms = [...known].sort((a, b) => b.length - a.length);
};

/** One log line with every registered secret value replaced by `[REDACTED]`. */
export const redactLogLine = (line: string): string => {
  let out = line;
  for (const form of forms) if (out.includes(form)) out = out.split(form).join('[REDACTED]');
  return out;
};
