import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { SecretSourceConfig } from '../config/schema.js';
import { SecretError } from '../errors.js';

const describeSource = (source: SecretSourceConfig): string =>
  'env' in source
    ? `environment variable ${source.env}`
    : 'file' in source
      ? `file ${source.file}`
      : `command ${source.command[0]}`;

/** Why a source could not be read, and the fix: the file or command error says which (never a value). */
const unavailable = (source: SecretSourceConfig, cause: unknown): string =>
  'env' in source
    ? `environment variable ${source.env} is not set where toolgate runs: set it there (a client or the Inspector starts toolgate with only the variables it passes), or use a { file } or { command } source`
    : `cannot read ${describeSource(source)} (${(cause as Error).message})`;

/** Reads one secret. Errors name the source, never a value (not even a partial one). */
const resolveSecret = async (name: string, source: SecretSourceConfig): Promise<string> => {
  const value = await readSource(source).catch((cause: unknown) => {
    throw new SecretError('SECRET_UNAVAILABLE', `secret ${name}: ${unavailable(source, cause)}`, {
      cause,
    });
  });
  if (value.length === 0)
    throw new SecretError(
      'SECRET_UNAVAILABLE',
      `secret ${name}: ${describeSource(source)} is empty`,
    );
  return value;
};

const readSource = async (source: SecretSourceConfig): Promise<string> => {
  if ('env' in source) {
    const value = process.env[source.env];
    if (value === undefined) throw new Error('unset');
    return value;
  }
  if ('file' in source) return (await readFile(source.file, 'utf8')).replace(/\r?\n$/, '');
  const [command, ...args] = source.command;
  // No shell: the argv runs as written; stdout is the secret, stderr is dropped (it may echo it).
  return new Promise((resolve, reject) => {
    execFile(
      command as string,
      args,
      { timeout: 30_000, maxBuffer: 64 * 1024, env: { PATH: process.env['PATH'] ?? '' } },
      (error, stdout) =>
        error
          ? reject(new Error(`exit ${String(error.code ?? error.signal)}`))
          : resolve(stdout.trim()),
    );
  });
};

/** Resolves every secret of a server, by name. */
export const resolveSecrets = async (
  secrets: Readonly<Record<string, SecretSourceConfig>>,
): Promise<Record<string, string>> =>
  Object.fromEntries(
    await Promise.all(
      Object.entries(secrets).map(
        async ([name, source]) => [name, await resolveSecret(name, source)] as const,
      ),
    ),
  );
