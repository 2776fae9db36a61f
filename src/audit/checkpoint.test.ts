import { statSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signCheckpoint, toVerifier, verifyCheckpoint } from './checkpoint.js';
import { createKeys, loadKeys, loadVerifiers } from './keys.js';
import { hashLeaf } from './merkle.js';

const dir = () => mkdtempSync(join(tmpdir(), 'toolgate-audit-keys-'));
const ORIGIN = 'example.com/audit';

describe('when signing checkpoints', () => {
  it('[AUD-5] writes a C2SP signed note that verifies with the public key, and the key file is 0600', () => {
    const d = dir();
    const { vkey, created } = createKeys(join(d, 'k'), join(d, 'k.pub'), ORIGIN);
    expect(created).toBe(true);
    expect(statSync(join(d, 'k')).mode & 0o777).toBe(0o600);
    expect(vkey).toMatch(/^example\.com\/audit\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    const note = signCheckpoint(
      { origin: ORIGIN, size: 3, root: hashLeaf(Buffer.from('x')) },
      loadKeys(join(d, 'k')).signer,
    );
    expect(note).toMatch(
      /^example\.com\/audit\n3\n[A-Za-z0-9+/]{43}=\n\n\u2014 example\.com\/audit [A-Za-z0-9+/]{91}=\n$/,
    );
    const check = verifyCheckpoint(note, loadVerifiers(join(d, 'k.pub')), ORIGIN);
    expect(check).toMatchObject({ ok: true, checkpoint: { size: 3 } });
  });

  it('[AUD-5] refuses an edited body, another origin, and an unknown key', () => {
    const d = dir();
    createKeys(join(d, 'k'), join(d, 'k.pub'), ORIGIN);
    const other = dir();
    createKeys(join(other, 'k'), join(other, 'k.pub'), ORIGIN);
    const note = signCheckpoint(
      { origin: ORIGIN, size: 3, root: hashLeaf(Buffer.from('x')) },
      loadKeys(join(d, 'k')).signer,
    );
    const verifiers = loadVerifiers(join(d, 'k.pub'));
    expect(verifyCheckpoint(note.replace('\n3\n', '\n4\n'), verifiers, ORIGIN).ok).toBe(false);
    expect(verifyCheckpoint(note, verifiers, 'other/origin').ok).toBe(false);
    expect(verifyCheckpoint(note, loadVerifiers(join(other, 'k.pub')), ORIGIN).ok).toBe(false);
  });

  it('[AUD-4] refuses a signature line edited only in base64 padding bits (decodes to the same bytes)', () => {
    const d = dir();
    createKeys(join(d, 'k'), join(d, 'k.pub'), ORIGIN);
    const note = signCheckpoint(
      { origin: ORIGIN, size: 3, root: hashLeaf(Buffer.from('x')) },
      loadKeys(join(d, 'k')).signer,
    );
    // 68 signature bytes: the last base64 digit before '=' carries 2 padding bits; flip the lowest one.
    const at = note.lastIndexOf('=') - 1;
    const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const edited =
      note.slice(0, at) + digits[digits.indexOf(note[at] as string) ^ 1] + note.slice(at + 1);
    const sig = (n: string) => Buffer.from(n.slice(n.lastIndexOf(' ') + 1), 'base64');
    expect(edited).not.toBe(note);
    expect(sig(edited).equals(sig(note))).toBe(true);
    expect(verifyCheckpoint(note, loadVerifiers(join(d, 'k.pub')), ORIGIN).ok).toBe(true);
    expect(verifyCheckpoint(edited, loadVerifiers(join(d, 'k.pub')), ORIGIN)).toMatchObject({
      ok: false,
      problem: 'signature is not canonical base64',
    });
  });

  it('[AUD-5] rotation gives a new key id, keeps the HMAC key, and old checkpoints still verify', () => {
    const d = dir();
    createKeys(join(d, 'k'), join(d, 'k.pub'), ORIGIN);
    const before = loadKeys(join(d, 'k'));
    const old = signCheckpoint(
      { origin: ORIGIN, size: 1, root: hashLeaf(Buffer.from('a')) },
      before.signer,
    );
    expect(createKeys(join(d, 'k'), join(d, 'k.pub'), ORIGIN).created).toBe(false); // never overwritten
    createKeys(join(d, 'k'), join(d, 'k.pub'), ORIGIN, true);
    const after = loadKeys(join(d, 'k'));
    expect(after.signer.keyId.equals(before.signer.keyId)).toBe(false);
    expect(after.hmacKey.equals(before.hmacKey)).toBe(true);
    const fresh = signCheckpoint(
      { origin: ORIGIN, size: 2, root: hashLeaf(Buffer.from('b')) },
      after.signer,
    );
    const verifiers = loadVerifiers(join(d, 'k.pub'));
    expect(readFileSync(join(d, 'k.pub'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(verifyCheckpoint(old, verifiers, ORIGIN).ok).toBe(true);
    expect(verifyCheckpoint(fresh, verifiers, ORIGIN).ok).toBe(true);
  });

  it('[AUD-5] refuses a verifier key whose id does not match its key', () => {
    const d = dir();
    const { vkey } = createKeys(join(d, 'k'), join(d, 'k.pub'), ORIGIN);
    expect(() => toVerifier(vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'))).toThrow(
      /does not match/,
    );
  });
});
