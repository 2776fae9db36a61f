import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';

/**
 * Checkpoints in the C2SP tlog-checkpoint format, signed as a C2SP signed note with Ed25519
 * (https://c2sp.org/signed-note): the key id is the first 4 bytes of SHA-256(name || "\n" || 0x01 ||
 * public key), so verifiers pick the right key after a rotation and other tools (Go's
 * golang.org/x/mod/sumdb/note, the transparency-dev witnesses) read the same text.
 */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Buffer;
}

export interface Signer {
  readonly name: string;
  readonly keyId: Buffer;
  readonly vkey: string;
  sign(message: Buffer): Buffer;
}

export interface Verifier {
  readonly name: string;
  readonly keyId: Buffer;
  readonly key: KeyObject;
}

const ED25519 = 0x01;
/** DER prefix of an Ed25519 PKCS#8 private key (RFC 8410); the 32-byte seed follows. */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const DASH = '\u2014';

const keyIdOf = (name: string, publicKey: Buffer): Buffer =>
  createHash('sha256')
    .update(name)
    .update('\n')
    .update(Buffer.of(ED25519))
    .update(publicKey)
    .digest()
    .subarray(0, 4);

const b64url = (b: Buffer) => b.toString('base64url');

/** The signer of a `PRIVATE+KEY+name+id+base64` key (the note format's signer key encoding). */
export const toSigner = (skey: string): Signer => {
  // base64 has '+' too: the key data is everything after the fourth separator.
  const [p, k, name, , ...rest] = skey.trim().split('+');
  const data = rest.join('+');
  const raw = Buffer.from(data ?? '', 'base64');
  if (p !== 'PRIVATE' || k !== 'KEY' || !name || raw.length !== 33 || raw[0] !== ED25519)
    throw new TypeError('not an Ed25519 note signer key');
  const seed = raw.subarray(1);
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const pub = Buffer.from(
    createPublicKey(privateKey).export({ format: 'jwk' }).x as string,
    'base64url',
  );
  const keyId = keyIdOf(name, pub);
  return {
    name,
    keyId,
    vkey: `${name}+${keyId.toString('hex')}+${Buffer.concat([Buffer.of(ED25519), pub]).toString('base64')}`,
    sign: (message) => sign(null, message, privateKey),
  };
};

/** Encodes a fresh Ed25519 key pair as a note signer key. */
export const toSignerKey = (name: string, privateKey: KeyObject): string => {
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d as string, 'base64url');
  const pub = Buffer.from(jwk.x as string, 'base64url');
  return `PRIVATE+KEY+${name}+${keyIdOf(name, pub).toString('hex')}+${Buffer.concat([Buffer.of(ED25519), seed]).toString('base64')}`;
};

/** Parses a `name+id+base64` verifier key; the id must match the key, or it is refused. */
export const toVerifier = (vkey: string): Verifier => {
  const [name, id, ...rest] = vkey.trim().split('+');
  const data = rest.join('+');
  const raw = Buffer.from(data ?? '', 'base64');
  if (!name || !id || raw.length !== 33 || raw[0] !== ED25519)
    throw new TypeError('not an Ed25519 note verifier key');
  const pub = raw.subarray(1);
  const keyId = keyIdOf(name, pub);
  if (keyId.toString('hex') !== id)
    throw new TypeError(`verifier key id ${id} does not match its key`);
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: b64url(pub) },
    format: 'jwk',
  });
  return { name, keyId, key };
};

const toCheckpointBody = (c: Checkpoint): string =>
  `${c.origin}\n${c.size}\n${c.root.toString('base64')}\n`;

/** The tree size a checkpoint note claims (its body's second line), unverified: NaN when there is none. */
export const checkpointSize = (note: string): number => Number(note.split('\n')[1]);

/** A signed note: the checkpoint body, a blank line, one signature line. */
export const signCheckpoint = (c: Checkpoint, signer: Signer): string => {
  const body = toCheckpointBody(c);
  const sig = Buffer.concat([signer.keyId, signer.sign(Buffer.from(body, 'utf8'))]);
  return `${body}\n${DASH} ${signer.name} ${sig.toString('base64')}\n`;
};

export type CheckpointCheck =
  { ok: true; checkpoint: Checkpoint; keyId: string } | { ok: false; problem: string };

/**
 * Parses a signed checkpoint and verifies it with the known keys: at least one signature line must
 * come from a known key (name and id) and verify. // untrusted: the text comes from the store.
 */
export const verifyCheckpoint = (
  note: string,
  verifiers: readonly Verifier[],
  origin: string,
): CheckpointCheck => {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return { ok: false, problem: 'not a signed note' };
  const body = note.slice(0, split + 1);
  const lines = body.split('\n');
  const [o, sizeText, rootText] = lines;
  if (o !== origin) return { ok: false, problem: `origin "${String(o)}" is not "${origin}"` };
  if (!/^(0|[1-9]\d{0,15})$/.test(sizeText ?? '')) return { ok: false, problem: 'bad tree size' };
  const root = Buffer.from(rootText ?? '', 'base64');
  if (root.length !== 32 || root.toString('base64') !== rootText)
    return { ok: false, problem: 'bad root hash' };
  for (const line of note.slice(split + 2, -1).split('\n')) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) return { ok: false, problem: 'malformed signature line' };
    const sig = Buffer.from(m[2] as string, 'base64');
    // Only the canonical encoding: base64's padding bits would otherwise let a signature line be edited unnoticed.
    if (sig.toString('base64') !== m[2])
      return { ok: false, problem: 'signature is not canonical base64' };
    const v = verifiers.find(
      (k) => k.name === m[1] && sig.length === 68 && k.keyId.equals(sig.subarray(0, 4)),
    );
    if (v && verify(null, Buffer.from(body, 'utf8'), v.key, sig.subarray(4)))
      return {
        ok: true,
        checkpoint: { origin, size: Number(sizeText), root },
        keyId: v.keyId.toString('hex'),
      };
  }
  return { ok: false, problem: 'no valid signature by a known key' };
};
