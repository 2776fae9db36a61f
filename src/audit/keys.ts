import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { AuditError } from '../errors.js';
import { toSigner, toSignerKey, toVerifier, type Signer, type Verifier } from './checkpoint.js';

/** The log's secrets: the checkpoint signer and the HMAC key for argument and result digests. */
export interface AuditKeys {
  readonly signer: Signer;
  readonly hmacKey: Buffer;
}

/**
 * Creates the key file (mode 0600, never overwritten) and appends its verifier key to the public key
 * file. With `rotate`, an existing key file gets a new signer (same HMAC key, so old digests still
 * test) and the public file keeps every earlier key, so old checkpoints still verify.
 */
export const createKeys = (
  keyFile: string,
  publicKeyFile: string,
  name: string,
  rotate = false,
): { vkey: string; created: boolean } => {
  const exists = existsSync(keyFile);
  if (exists && !rotate) return { vkey: loadKeys(keyFile).signer.vkey, created: false };
  const hmac = exists ? loadKeys(keyFile).hmacKey : randomBytes(32);
  const skey = toSignerKey(name, generateKeyPairSync('ed25519').privateKey);
  writeFileSync(keyFile, `${skey}\nHMAC+${hmac.toString('base64')}\n`, {
    mode: 0o600,
    flag: exists ? 'w' : 'wx',
  });
  const vkey = toSigner(skey).vkey;
  appendFileSync(publicKeyFile, `${vkey}\n`, { mode: 0o644 });
  return { vkey, created: true };
};

export const loadKeys = (keyFile: string): AuditKeys => {
  try {
    const [skey, hmacLine] = readFileSync(keyFile, 'utf8').split('\n');
    const hmacKey = Buffer.from((hmacLine ?? '').replace(/^HMAC\+/, ''), 'base64');
    if (hmacKey.length !== 32) throw new TypeError('no 32-byte HMAC key');
    return { signer: toSigner(skey ?? ''), hmacKey };
  } catch (cause) {
    throw new AuditError('AUDIT_KEY_INVALID', `audit key ${keyFile}: ${(cause as Error).message}`, {
      cause,
    });
  }
};

/** Every verifier key in the public key file (one per line; `#` comments allowed). */
export const loadVerifiers = (publicKeyFile: string): Verifier[] => {
  try {
    return readFileSync(publicKeyFile, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map(toVerifier);
  } catch (cause) {
    throw new AuditError(
      'AUDIT_KEY_INVALID',
      `audit public keys ${publicKeyFile}: ${(cause as Error).message}`,
      { cause },
    );
  }
};
