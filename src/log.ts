import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

/** Operator log levels, least to most severe; `silent` logs nothing. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['pretty', 'json'] as const;
type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogOptions {
  /** `pretty`: coloured lines for a person; `json`: one JSON object a line. Default: pretty on a terminal. */
  readonly format?: LogFormat | undefined;
  readonly level?: LogLevel | undefined;
  /** Applied to the message and every field of every line (the configured secrets, redacted). */
  readonly redact?: (<T>(value: T) => T) | undefined;
}

/**
 * JSON lines keep the shape operators and tests already parse: `level` as a word, `time` as ISO 8601,
 * `message`, then the fields; no pid or hostname.
 */
const create = (format: LogFormat, level: LogLevel): Logger =>
  pino(
    {
      level,
      base: null,
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    format === 'pretty'
      ? PinoPretty({
          destination: 2,
          sync: true,
          colorize: true,
          messageKey: 'message',
          translateTime: 'HH:MM:ss.l',
          ignore: 'time',
          singleLine: true,
        })
      : pino.destination({ dest: 2, sync: true }),
  );

let redact: <T>(value: T) => T = (value) => value;
let logger: Logger = create(process.stderr.isTTY ? 'pretty' : 'json', 'info');

/** Sets the format, level and redaction of every line from here on (stderr: stdout is the MCP stdio front). */
export const configureLog = (options: LogOptions): void => {
  logger = create(
    options.format ?? (process.stderr.isTTY ? 'pretty' : 'json'),
    options.level ?? 'info',
  );
  if (options.redact) redact = options.redact;
};

/** Operator log lines on stderr, through the configured logger. */
export const logLine = (
  level: 'debug' | 'info' | 'warn' | 'error',
  message: string,
  extra: Record<string, unknown> = {},
): void => {
  logger[level](redact(extra), redact(message));
};
