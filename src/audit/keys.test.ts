import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKeys, loadKeys, loadVerifiers } from './keys.js';

const ORIGIN = 'test.example/keys';
const paths = () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-keys-'));
  return { key: join(dir, 'key'), pub: join(dir, 'key.pub') };
};

describe('when audit keys are created', () => {
  it('[AUD-5] writes the key file 0600 and its verifier key to the public file', () => {
    const { key, pub } = paths();
    const { vkey, created } = createKeys(key, pub, ORIGIN);
    expect(created).toBe(true);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readFileSync(pub, 'utf8')).toBe(`${vkey}\n`);
    expect(vkey.startsWith(`${ORIGIN}+`)).toBe(true);
    expect(loadKeys(key).hmacKey).toHaveLength(32);
  });

  it('[AUD-5] never overwrites an existing key file', () => {
    const { key, pub } = paths();
    const first = createKeys(key, pub, ORIGIN);
    const text = readFileSync(key, 'utf8');
    expect(createKeys(key, pub, ORIGIN)).toEqual({ vkey: first.vkey, created: false });
    expect(readFileSync(key, 'utf8')).toBe(text);
    expect(loadVerifiers(pub)).toHaveLength(1);
  });

  it('[AUD-5] rotates to a new signer, keeping the HMAC key and every earlier verifier key', () => {
    const { key, pub } = paths();
    const first = createKeys(key, pub, ORIGIN);
    const hmac = loadKeys(key).hmacKey;
    const second = createKeys(key, pub, ORIGIN, true);
    expect(second.vkey).not.toBe(first.vkey);
    expect(loadKeys(key).hmacKey.equals(hmac)).toBe(true);
    expect(loadKeys(key).signer.vkey).toBe(second.vkey);
    expect(loadVerifiers(pub)).toHaveLength(2);
  });
});

describe('when audit keys are bad', () => {
  it('refuses a missing, truncated or foreign key file with AUDIT_KEY_INVALID naming it', () => {
    const { key, pub } = paths();
    expect(() => loadKeys(key)).toThrow(
      expect.objectContaining({
        code: 'AUDIT_KEY_INVALID',
        message: expect.stringContaining(key) as string,
      }),
    );
    createKeys(key, pub, ORIGIN);
    const [skey] = readFileSync(key, 'utf8').split('\n');
    writeFileSync(key, `${skey}\nHMAC+c2hvcnQ=\n`);
    expect(() => loadKeys(key)).toThrow(expect.objectContaining({ code: 'AUDIT_KEY_INVALID' }));
    writeFileSync(key, 'not a key\n');
    expect(() => loadKeys(key)).toThrow(expect.objectContaining({ code: 'AUDIT_KEY_INVALID' }));
  });

  it('reads verifier keys past comments and blank lines, and refuses a bad one', () => {
    const { key, pub } = paths();
    const { vkey } = createKeys(key, pub, ORIGIN);
    writeFileSync(pub, `# the log's keys\n\n${vkey}\n`);
    expect(loadVerifiers(pub)).toHaveLength(1);
    writeFileSync(pub, 'garbage\n');
    expect(() => loadVerifiers(pub)).toThrow(
      expect.objectContaining({ code: 'AUDIT_KEY_INVALID' }),
    );
  });
});
