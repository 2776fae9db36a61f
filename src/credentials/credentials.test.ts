import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createRedactor } from './redact.js';
import { resolveSecrets } from './resolve.js';

describe('when resolving secrets', () => {
  it('[CRED-2] reads env variables, files and command output', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'toolgate-secret-')), 's');
    writeFileSync(file, 'from-file\n');
    process.env['TOOLGATE_TEST_SECRET'] = 'from-env';
    onTestFinished(() => {
      delete process.env['TOOLGATE_TEST_SECRET'];
    });
    expect(
      await resolveSecrets({
        A: { env: 'TOOLGATE_TEST_SECRET' },
        B: { file },
        C: { command: ['/usr/bin/printf', 'from-command\n'] },
      }),
    ).toEqual({
      A: 'from-env',
      B: 'from-file',
      C: 'from-command',
    });
  });

  it('[CRED-2] fails with SECRET_UNAVAILABLE naming the source and the fix, never a value', async () => {
    await expect(resolveSecrets({ A: { env: 'TOOLGATE_TEST_UNSET_VAR' } })).rejects.toMatchObject({
      code: 'SECRET_UNAVAILABLE',
      message: expect.stringMatching(
        /^secret A: environment variable TOOLGATE_TEST_UNSET_VAR is not set where toolgate runs: set it there .*or use a \{ file \} or \{ command \} source$/,
      ),
    });
    await expect(resolveSecrets({ B: { file: '/nonexistent/secret' } })).rejects.toMatchObject({
      code: 'SECRET_UNAVAILABLE',
      message: expect.stringContaining('file /nonexistent/secret (ENOENT'),
    });
    const failing = resolveSecrets({
      C: { command: ['/bin/sh', '-c', 'echo leaked-value; exit 3'] },
    });
    await expect(failing).rejects.toMatchObject({
      code: 'SECRET_UNAVAILABLE',
      message: 'secret C: cannot read command /bin/sh (exit 3)',
    });
    await expect(failing).rejects.not.toMatchObject({
      message: expect.stringContaining('leaked-value'),
    });
  });
});

describe('when redacting what a server sends back', () => {
  it('[CRED-2] replaces every occurrence of a secret, deep in results, keys included', () => {
    const redact = createRedactor({ TOKEN: 'ghp_abcdef123456', SHORT: 'ab' });
    expect(
      redact({
        content: [{ type: 'text', text: 'token=ghp_abcdef123456 and again ghp_abcdef123456' }],
        ghp_abcdef123456: 1,
        ab: 'ab',
      }),
    ).toEqual({
      content: [{ type: 'text', text: 'token=[REDACTED:TOKEN] and again [REDACTED:TOKEN]' }],
      '[REDACTED:TOKEN]': 1,
      ab: 'ab',
    });
    expect(redact('no secret here')).toBe('no secret here');
  });
});
