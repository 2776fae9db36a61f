/** `toolgate deps`: the SBOM's packages against advisories (OSV files, the npm registry). */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { SbomError } from '../errors.js';
import type { SbomServer } from './build.js';
import { OsvRecordSchema, SEVERITY_ORDER, type Match, type OsvRecord } from './osv.js';

/** Every name → versions of the servers' packages (their own and every dependency found). */
export const packagesOf = (servers: readonly SbomServer[]): Map<string, string[]> => {
  const out = new Map<string, Set<string>>();
  for (const server of servers)
    for (const p of [server, ...(server.tree?.packages.values() ?? [])])
      out.set(p.name, (out.get(p.name) ?? new Set()).add(p.version));
  return new Map([...out].map(([name, versions]) => [name, [...versions].sort()]));
};

export type FailOn = (typeof SEVERITY_ORDER)[number];

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

export interface Finding extends Match {
  readonly server: string;
  readonly package: string;
  readonly version: string;
}

/** Each package of each server (its own and every dependency found), matched against the records. */
export const findAdvisories = (
  servers: readonly SbomServer[],
  match: (name: string, version: string) => Match[],
): Finding[] => {
  const findings: Finding[] = [];
  for (const server of servers) {
    const packages = new Map<string, { name: string; version: string }>([
      [`${server.name}@${server.version}`, server],
    ]);
    for (const p of server.tree?.packages.values() ?? []) packages.set(`${p.name}@${p.version}`, p);
    for (const p of [...packages.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    ))
      for (const m of match(p.name, p.version))
        findings.push({ ...m, server: server.id, package: p.name, version: p.version });
  }
  const rank = (f: Finding) =>
    f.severity === 'unknown' ? 1.5 : SEVERITY_ORDER.indexOf(f.severity);
  return findings.sort(
    (a, b) => rank(b) - rank(a) || (a.server < b.server ? -1 : a.server > b.server ? 1 : 0),
  );
};

export const toTable = (
  servers: readonly SbomServer[],
  findings: readonly Finding[],
  sources: readonly string[],
): string => {
  const lines = [`checked ${servers.length} server(s) against ${sources.join(' and ')}`];
  for (const f of findings)
    lines.push(
      `${f.severity.toUpperCase().padEnd(8)} ${f.server.padEnd(16)} ${`${f.package}@${f.version}`.padEnd(32)} ${f.id}${f.summary ? `  ${f.summary}` : ''}${f.fixed.length > 0 ? `  (fixed in ${f.fixed.join(', ')})` : ''}`,
    );
  for (const s of servers)
    if (!findings.some((f) => f.server === s.id))
      lines.push(
        `ok       ${s.id}: no advisory${s.tree === undefined ? ' (its own package only: dependencies unknown)' : ''}`,
      );
  return lines.join('\n') + '\n';
};
