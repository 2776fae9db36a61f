/** Reading OSV advisory files (the I/O half of osv.ts), for `toolgate deps` and the start policy. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { SbomError } from '../errors.js';
import { OsvRecordSchema, type OsvRecord } from './osv.js';

/** Every `*.json` under a directory (recursively), or the one file named. */
const osvFiles = async (path: string): Promise<string[]> => {
  if (!(await stat(path)).isDirectory()) return [path];
  const files: string[] = [];
  for (const entry of await readdir(path, { withFileTypes: true, recursive: true }))
    if (entry.isFile() && entry.name.endsWith('.json'))
      files.push(join(entry.parentPath, entry.name));
  return files.sort();
};

/** Reads OSV records: a file holds one record or an array of them. A file that is not OSV is refused, never skipped. */
export const readOsv = async (path: string): Promise<OsvRecord[]> => {
  const records: OsvRecord[] = [];
  let files: string[];
  try {
    files = await osvFiles(path);
  } catch (cause) {
    throw new SbomError('SBOM_OSV_INVALID', `cannot read ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  for (const file of files) {
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(file, 'utf8'));
    } catch (cause) {
      throw new SbomError('SBOM_OSV_INVALID', `${file} is not JSON: ${(cause as Error).message}`, {
        cause,
      });
    }
    // untrusted: advisory files come from a download or a mirror.
    const result = z.array(OsvRecordSchema).safeParse(Array.isArray(doc) ? doc : [doc]);
    if (!result.success)
      throw new SbomError(
        'SBOM_OSV_INVALID',
        `${file} is not an OSV record:\n${z.prettifyError(result.error)}`,
      );
    records.push(...result.data);
  }
  return records;
};

/** When the newest of the OSV files was written: how fresh the advisory data is. */
export const osvModifiedAt = async (path: string): Promise<Date> => {
  const times = await Promise.all((await osvFiles(path)).map(async (f) => (await stat(f)).mtimeMs));
  return new Date(Math.max(0, ...times));
};
