import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { PrettyStream, PrettyOptions } from 'pino-pretty';

/** pino-pretty, loaded only for pretty output (a JSON-logging gateway never pays for it). */
const prettyStream = (options: PrettyOptions): PrettyStream =>
  (createRequire(import.meta.url)('pino-pretty') as (o: PrettyOptions) => PrettyStream)(options);

/*
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

/** Operator log levels, least to most severe; `silent` logs nothing. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['pretty', 'json'] as const;
type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogOptions {
  /** `pretty`: coloured lines for a person; `json`: one JSON object a line. Default: pretty on a terminal. */
  readonly format?: LogFormat | undefined;
  readonly level?: LogLevel | undefined;
  /** Where lines go (default: stderr, synchronously); tests pass a stream to read them back. */
  readonly destination?: Writable | undefined;
}

/**
 * JSON lines keep the shape operators and tests already parse: `level` as a word, `time` as ISO 8601,
 * `message`, then the fields; no pid or hostname.
 */
const create = (format: LogFormat, level: LogLevel, destination?: Writable): Logger =>
  pino(
    {
      level,
      base: null,
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Every line, whatever carried a secret into it, passes the redactor on its way out (SEC-1).
      hooks: { streamWrite: redactLogLine },
    },
    format === 'pretty'
      ? prettyStream({
          destination: destination ?? 2,
          sync: true,
          colorize: true,
          messageKey: 'message',
          translateTime: 'HH:MM:ss.l',
          ignore: 'time',
          singleLine: true,
        })
      : (destination ?? pino.destination({ dest: 2, sync: true })),
  );

let logger: Logger = create(process.stderr.isTTY ? 'pretty' : 'json', 'info');

/** Sets the format and level of every line from here on (stderr: stdout is the MCP stdio front). */
export const configureLog = (options: LogOptions): void => {
  logger = create(
    options.format ?? (process.stderr.isTTY ? 'pretty' : 'json'),
    options.level ?? 'info',
    options.destination,
  );
};

/** Operator log lines on stderr, through the configured logger. */
export const logLine = (
  level: 'debug' | 'info' | 'warn' | 'error',
  message: string,
  extra: Record<string, unknown> = {},
): void => {
  // The message leads and a field named `message` (an event's own) takes its place, as in every
  // line before pino: readers match `"message":"gateway listening"` followed by its fields.
  logger[level]({ message, ...extra });
};
