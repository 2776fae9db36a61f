import { parseArgs } from 'node:util';
import { GatewayError } from '../../errors.js';
import {
  findAdvisories,
  isFailOn,
  packagesOf,
  readOsv,
  toTable,
  type Finding,
} from '../../sbom/advisories.js';
import type { SbomServer } from '../../sbom/build.js';
import { fetchBulkAdvisories, matchBulk } from '../../sbom/npm-advisories.js';
import { npmRegistry } from '../../sbom/npmrc.js';
import { failsAt, matchPackage, type Match } from '../../sbom/osv.js';
import { lockedNpmServers } from './sbom.js';

export const DEPS_USAGE = `  toolgate deps  --config FILE [--osv PATH] [--registry URL] [SERVER] [--format table|json]
                [--fail-on low|medium|high|critical]
                                               check every package of the SBOM against the npm
                                               registry's bulk advisory endpoint (the registry npm
                                               is configured with, or URL), and/or an offline OSV
                                               file or directory (--osv alone: no network); exit 1
                                               on an advisory at or above --fail-on (high; unrated
                                               counts as high)`;

interface Sources {
  readonly osv?: string;
  readonly registry?: string;
}

/** The advisories of every source asked, and a line naming each source. */
const advisories = async (
  servers: readonly SbomServer[],
  sources: Sources,
): Promise<{ findings: Finding[]; checked: string[] }> => {
  const matchers: ((name: string, version: string) => Match[])[] = [];
  const checked: string[] = [];
  if (sources.osv !== undefined) {
    const records = await readOsv(sources.osv);
    matchers.push((n, v) => matchPackage(records, n, v));
    checked.push(`${records.length} OSV record(s)`);
  }
  // With --osv alone the run stays offline; without it (or with --registry) the registry is asked.
  if (sources.osv === undefined || sources.registry !== undefined) {
    const registry =
      sources.registry === undefined
        ? await npmRegistry(process.cwd())
        : { url: sources.registry, from: '--registry' };
    const bulk = await fetchBulkAdvisories(registry.url, packagesOf(servers));
    matchers.push((n, v) => matchBulk(bulk, n, v));
    checked.push(`the advisories of ${registry.url} (${registry.from})`);
  }
  // The same advisory from both sources (a GHSA id in OSV and in the registry's URL) is listed once.
  const match = (name: string, version: string): Match[] => {
    const all = matchers.flatMap((m) => m(name, version));
    return all.filter((m, i) => all.findIndex((o) => o.id === m.id) === i);
  };
  return { findings: findAdvisories(servers, match), checked };
};

/** `toolgate deps`: exit 0 with nothing at or above --fail-on, 1 otherwise (or an installed tree changed since lock), 2 on a usage or input error. */
export const deps = async (argv: readonly string[]): Promise<number> => {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        osv: { type: 'string' },
        registry: { type: 'string' },
        format: { type: 'string', default: 'table' },
        'fail-on': { type: 'string', default: 'high' },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.config === undefined) return usage('--config FILE is required');
  if (values.format !== 'table' && values.format !== 'json')
    return usage(`unknown --format "${values.format}"`);
  const failOn = values['fail-on'];
  if (!isFailOn(failOn)) return usage(`unknown --fail-on "${failOn}"`);
  if (positionals.length > 1) return usage('name at most one SERVER');
  let servers: SbomServer[];
  let found: Awaited<ReturnType<typeof advisories>>;
  try {
    servers = await lockedNpmServers(values.config, positionals[0], (line) =>
      console.error(`toolgate deps: ${line}`),
    );
    found = await advisories(servers, values);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    console.error(`toolgate deps: ${error.code}: ${error.message}`);
    return error.code === 'SBOM_TREE_CHANGED' ? 1 : 2;
  }
  const { findings, checked } = found;
  process.stdout.write(
    values.format === 'json'
      ? JSON.stringify(
          {
            generatedAt: new Date().toISOString(),
            servers: servers.map((s) => s.id),
            packages: Object.fromEntries(servers.map((s) => [s.id, `${s.name}@${s.version}`])),
            findings,
          },
          null,
          2,
        ) + '\n'
      : toTable(servers, findings, checked),
  );
  return findings.some((f) => failsAt(f.severity, failOn)) ? 1 : 0;
};

const usage = (message: string): number => {
  console.error(`toolgate deps: ${message}\n${DEPS_USAGE}`);
  return 2;
};
