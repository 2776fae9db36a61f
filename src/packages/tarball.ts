import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { PackageError } from '../errors.js';
import { treeDigest } from './fingerprint.js';

const BLOCK = 512;
const MAX_UNPACKED = 512 * 1024 * 1024;

const field = (header: Buffer, start: number, length: number): string => {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString('utf8');
};

/** pax extended header records (`LEN key=value\n`). */
const paxRecords = (body: Buffer): Map<string, string> => {
  const records = new Map<string, string>();
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    const length = Number(body.subarray(at, space).toString('ascii'));
    if (space < 0 || !Number.isInteger(length) || length <= 0) break;
    const record = body.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return records;
};

/**
 * The tree hash of an npm tarball's regular files, in the same form as `hashTree` of an installed
 * copy (the first path component, `package/`, dropped as npm does; `node_modules` left out), so the
 * copy npx installed can be compared with the tarball the registry integrity names. Reads ustar,
 * pax (`path`) and GNU long names. Only call it on a tarball whose integrity was checked.
 */
export const tarballTree = (tgz: Buffer): string => {
  let tar: Buffer;
  try {
    tar = gunzipSync(tgz, { maxOutputLength: MAX_UNPACKED });
  } catch (cause) {
    throw new PackageError(
      'PACKAGE_TAMPERED',
      `the package tarball does not unpack: ${(cause as Error).message}`,
      { cause },
    );
  }
  const lines = new Map<string, string>();
  let longName: string | undefined;
  for (let at = 0; at + BLOCK <= tar.length;) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const body = tar.subarray(at + BLOCK, at + BLOCK + size);
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      longName = paxRecords(body).get('path') ?? longName;
      continue;
    }
    if (type === 'L') {
      longName = field(body, 0, body.length);
      continue;
    }
    if (type === 'g') continue;
    const prefix = field(header, 345, 155);
    const name =
      longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    if (type !== '0' && type !== '\0') continue; // npm installs regular files only
    const rel = name
      .split('/')
      .slice(1)
      .filter((p) => p !== '' && p !== '.')
      .join('/');
    if (rel === '' || rel.split('/').includes('node_modules') || rel.split('/').includes('..'))
      continue;
    lines.set(rel, createHash('sha256').update(body).digest('hex'));
  }
  return treeDigest(lines);
};
