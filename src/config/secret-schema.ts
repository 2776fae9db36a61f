import { z } from 'zod';

const AbsolutePath = z
  .string()
  .regex(/^\/(?!.*(^|\/)\.\.?(\/|$))/, 'an absolute path without "." or ".." segments');
export const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/);
/** Where a secret comes from: a gateway environment variable, a file, or a command's stdout (vault, keychain CLI). */
export const SecretSource = z
  .union([
    z.strictObject({ env: EnvName.describe('Gateway environment variable holding the secret.') }),
    z.strictObject({
      file: AbsolutePath.describe('File holding the secret (trailing newline trimmed).'),
    }),
    z.strictObject({
      command: z
        .array(z.string().min(1))
        .min(1)
        .describe('argv run without a shell; its trimmed stdout is the secret.'),
    }),
  ])
  .describe('Source of one secret: { env }, { file } or { command }.');
export const Secrets = z
  .record(EnvName, SecretSource)
  .default({})
  .describe(
    'Secrets injected as environment variables into this server only; redacted from everything it returns.',
  );

export type SecretSourceConfig = z.infer<typeof SecretSource>;
