import { InvalidArgumentError, Option } from '@commander-js/extra-typings';

// What every command's parser shares: the exit code an action reports, the common options, and the
// value parsers that turn a bad value into a usage error (exit 2) instead of an empty answer.

let code = 0;

/** Records the exit code of the command that ran (main exits with it once output has left); -1 keeps the process up. */
export const done = (exitCode: number): void => {
  code = exitCode;
};

export const exitCode = (): number => code;

/** `-c, --config FILE`, defaulting to ./toolgate.yaml. */
export const configOption = () =>
  new Option('-c, --config <FILE>', 'the toolgate config').default('toolgate.yaml');

/** `-c, --config FILE` without a default: the action says it is missing (a usage error). */
export const requiredConfigOption = () => new Option('-c, --config <FILE>', 'the toolgate config');

/** A usage error of `command`: its message, then its help, exit 2. */
export const usageError = (
  command: { name(): string; error(message: string, options: object): never },
  message: string,
): never =>
  command.error(`toolgate ${command.name()}: ${message}`, {
    exitCode: 2,
    code: 'toolgate.usage',
  });

/** A whole number >= 0 (`tail -n abc` is a usage error, not "everything"). */
export const wholeNumber = (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number, e.g. 20');
  return Number(value);
};

const ISO_DATE =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * An ISO 8601 date or date-time (`--since 2026-12-07`, `--until 2026-12-07T14:00:00Z`), as the UTC
 * ISO string the log's times compare with. A date-time without a zone is UTC.
 */
export const isoDate = (value: string): string => {
  const bare = ISO_DATE.exec(value) !== null && !/(?:Z|[+-]\d{2}:?\d{2})$/.test(value);
  const time = ISO_DATE.test(value)
    ? Date.parse(bare && value.length > 10 ? `${value.replace(' ', 'T')}Z` : value)
    : NaN;
  if (Number.isNaN(time))
    throw new InvalidArgumentError(
      'expected an ISO 8601 date or date-time, e.g. 2026-12-07 or 2026-12-07T14:00:00Z',
    );
  return new Date(time).toISOString();
};

/** A short name for a log (`--by alice`): 1–128 characters, none of them a control character. */
export const shortName = (value: string): string => {
  if (value.length === 0 || value.length > 128 || /\p{Cc}/u.test(value))
    throw new InvalidArgumentError('expected 1 to 128 printable characters, e.g. alice');
  return value;
};

/** A JSON value (`--value '{"message":"hi"}'`). */
export const jsonValue = (value: string): string => {
  try {
    JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('expected a JSON value, e.g. \'{"message":"hi"}\'');
  }
  return value;
};
