import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { z } from 'zod';
import { GatewayError, SbomError } from '../../errors.js';
import type { SbomServer } from '../../sbom/build.js';
import {
  failsAt,
  matchPackage,
  OsvRecordSchema,
  SEVERITY_ORDER,
  type Match,
  type OsvRecord,
} from '../../sbom/osv.js';
import { lockedNpmServers } from './sbom.js';
import { done, requiredConfigOption, usageError } from '../program.js';

type FailOn = (typeof SEVERITY_ORDER)[number];

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
const readOsv = async (path: string): Promise<OsvRecord[]> => {
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

interface Finding extends Match {
  readonly server: string;
  readonly package: string;
  readonly version: string;
}

/** Each package of each server (its own and every dependency found), matched against the records. */
const findAdvisories = (
  servers: readonly SbomServer[],
  records: readonly OsvRecord[],
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
      for (const m of matchPackage(records, p.name, p.version))
        findings.push({ ...m, server: server.id, package: p.name, version: p.version });
  }
  const rank = (f: Finding) =>
    f.severity === 'unknown' ? 1.5 : SEVERITY_ORDER.indexOf(f.severity);
  return findings.sort(
    (a, b) => rank(b) - rank(a) || (a.server < b.server ? -1 : a.server > b.server ? 1 : 0),
  );
};

const toTable = (
  servers: readonly SbomServer[],
  findings: readonly Finding[],
  records: number,
): string => {
  const lines = [`checked ${servers.length} server(s) against ${records} OSV record(s)`];
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

/** `toolgate deps`: exit 0 with nothing at or above --fail-on, 1 otherwise (or an installed tree changed since lock), 2 on a usage or input error. */
const deps = async (
  values: { config: string; osv: string; format: 'table' | 'json'; failOn: FailOn },
  server: string | undefined,
): Promise<number> => {
  const { failOn } = values;
  let servers: SbomServer[];
  let records: OsvRecord[];
  try {
    records = await readOsv(values.osv);
    servers = await lockedNpmServers(values.config, server, (line) =>
      console.error(`toolgate deps: ${line}`),
    );
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    console.error(`toolgate deps: ${error.code}: ${error.message}`);
    return error.code === 'SBOM_TREE_CHANGED' ? 1 : 2;
  }
  const findings = findAdvisories(servers, records);
  process.stdout.write(
    values.format === 'json'
      ? JSON.stringify({ servers: servers.map((s) => s.id), findings }, null, 2) + '\n'
      : toTable(servers, findings, records.length),
  );
  return findings.some((f) => failsAt(f.severity, failOn)) ? 1 : 0;
};

export const depsCommand = () =>
  new Command('deps')
    .description(
      'check every package of the SBOM against an offline OSV file or directory (no network); ' +
        'exit 1 on an advisory at or above --fail-on (high; unrated counts as high)',
    )
    .argument('[SERVER]', 'only this server')
    .addOption(requiredConfigOption())
    .option('--osv <PATH>', 'an OSV file or directory (the registry is not queried)')
    .addOption(new Option('--format <FORMAT>').choices(['table', 'json'] as const).default('table'))
    .addOption(
      new Option('--fail-on <SEVERITY>', 'exit 1 from this severity on')
        .choices(SEVERITY_ORDER)
        .default('high'),
    )
    .action(async (server, opts, command) => {
      const config = opts.config ?? usageError(command, '--config FILE is required');
      const osv =
        opts.osv ??
        usageError(
          command,
          '--osv PATH is required (an OSV file or directory; the registry is not queried)',
        );
      done(await deps({ ...opts, config, osv }, server));
    });
