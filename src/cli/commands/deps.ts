import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/load.js';
import type { WaiverConfig } from '../../config/advisories-schema.js';
import { classifyFindings } from '../../packages/advisory-policy.js';
import { GatewayError } from '../../errors.js';
import { packagesOf, toTable, type FailOn, type Finding } from '../../sbom/advisories.js';
import { readOsv } from '../../packages/osv-read.js';
import type { SbomServer } from '../../sbom/build.js';
import { fetchBulkAdvisories, matchBulk } from '../../sbom/npm-advisories.js';
import { DEFAULT_REGISTRY, readNpmSettings, type NpmSettings } from '../../packages/npmrc.js';
import {
  failsAt,
  findAdvisories,
  matchPackage,
  SEVERITY_ORDER,
  type Ecosystem,
  type Match,
} from '../../packages/osv.js';
import { lockedServers } from './sbom.js';
import { done, requiredConfigOption, usageError } from '../program.js';

interface Sources {
  readonly osv?: string;
  readonly registry?: string;
  /** npm's settings as `lock` reads them: the registry asked without --registry, its token and proxy. */
  readonly npm: NpmSettings;
  /** The start policy's `advisories.osv`, asked as well, so `deps` lists what a start would refuse. */
  readonly policyOsv?: string;
}

/** The advisories of every source asked, and a line naming each source. */
const advisories = async (
  servers: readonly SbomServer[],
  sources: Sources,
): Promise<{ findings: Finding[]; checked: string[] }> => {
  const matchers: ((ecosystem: Ecosystem, name: string, version: string) => Match[])[] = [];
  const checked: string[] = [];
  const addOsv = async (path: string, label: string) => {
    const records = await readOsv(path);
    matchers.push((e, n, v) => matchPackage(records, n, v, e));
    checked.push(`${records.length} OSV record(s)${label}`);
  };
  if (sources.osv !== undefined) await addOsv(sources.osv, '');
  const { policyOsv } = sources;
  // The same folder named twice is read once.
  if (policyOsv !== undefined && (sources.osv === undefined || resolve(sources.osv) !== policyOsv))
    await addOsv(policyOsv, ' (advisories.osv)');
  // With --osv alone the run stays offline; without it (or with --registry) the registry is asked.
  if (sources.osv === undefined || sources.registry !== undefined) {
    const url = sources.registry ?? String(sources.npm['registry'] ?? DEFAULT_REGISTRY);
    const from = sources.registry === undefined ? "npm's settings" : '--registry';
    // The npm registry knows npm packages only: Python packages are not asked there.
    const pypi = servers.some((s) => s.kind === 'pypi') ? '; PyPI packages: not asked' : '';
    const npmPackages = packagesOf(servers.filter((s) => s.kind === 'npm'));
    if (npmPackages.size === 0) checked.push(`not ${url} (${from}): no npm package${pypi}`);
    else {
      const bulk = await fetchBulkAdvisories(url, npmPackages, sources.npm);
      matchers.push((e, n, v) => (e === 'npm' ? matchBulk(bulk, n, v) : []));
      checked.push(`the advisories of ${url} (${from}${pypi})`);
    }
  }
  // The same advisory from both sources (a GHSA id in OSV and in the registry's URL) is listed once.
  const match = (ecosystem: Ecosystem, name: string, version: string): Match[] => {
    const all = matchers.flatMap((m) => m(ecosystem, name, version));
    return all.filter((m, i) => all.findIndex((o) => o.id === m.id) === i);
  };
  return { findings: findAdvisories(servers, match), checked };
};

/**
 * `toolgate deps`: exit 0 with nothing unwaived at or above --fail-on, 1 otherwise (or an installed
 * tree changed since lock), 2 on a usage or input error. The config's `advisories.waivers` apply.
 */
const deps = async (
  values: {
    config: string;
    osv?: string;
    registry?: string;
    format: 'table' | 'json';
    failOn: FailOn;
    output?: string;
  },
  server: string | undefined,
): Promise<number> => {
  const { failOn } = values;
  let servers: SbomServer[];
  let found: Awaited<ReturnType<typeof advisories>>;
  let waivers: readonly WaiverConfig[];
  try {
    const config = await loadConfig(values.config);
    const policy = config.advisories;
    const npm = await readNpmSettings(dirname(resolve(values.config)), config.lock.registry);
    waivers = policy?.waivers ?? [];
    servers = await lockedServers(values.config, server, (line) =>
      console.error(`toolgate deps: ${line}`),
    );
    const policyOsv = policy?.osv && resolve(dirname(values.config), policy.osv);
    found = await advisories(servers, { ...values, npm, ...(policyOsv && { policyOsv }) });
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    console.error(`toolgate deps: ${error.code}: ${error.message}`);
    return error.code === 'SBOM_TREE_CHANGED' ? 1 : 2;
  }
  const { findings, checked } = found;
  const now = new Date();
  const classified = classifyFindings(findings, waivers, now);
  const text =
    values.format === 'json'
      ? JSON.stringify(
          {
            generatedAt: now.toISOString(),
            servers: servers.map((s) => s.id),
            packages: Object.fromEntries(servers.map((s) => [s.id, `${s.name}@${s.version}`])),
            findings: classified.map((c) => ({ ...c.finding, status: c.status, waiver: c.waiver })),
          },
          null,
          2,
        ) + '\n'
      : toTable(servers, classified, checked);
  if (values.output === undefined) process.stdout.write(text);
  else await writeFile(values.output, text);
  return classified.some((c) => c.status !== 'waived' && failsAt(c.finding.severity, failOn))
    ? 1
    : 0;
};

export const depsCommand = () =>
  new Command('deps')
    .description(
      "check every package of the SBOM against the npm registry's bulk advisory endpoint (npm " +
        'packages only; the registry npm is configured with, or --registry) and/or an offline OSV ' +
        'file or directory (npm and PyPI records) ' +
        "(--osv alone: no network), plus the config's advisories.osv; exit 1 on an advisory at " +
        'or above --fail-on (high; unrated ' +
        'counts as high) that advisories.waivers in the config does not waive',
    )
    .argument('[SERVER]', 'only this server')
    .addOption(requiredConfigOption())
    .option('--osv <PATH>', 'an OSV file or directory (alone: the registry is not asked)')
    .option(
      '--registry <URL>',
      "the registry whose advisories to ask (default: npm's configured one)",
    )
    .addOption(new Option('--format <FORMAT>').choices(['table', 'json'] as const).default('table'))
    .option(
      '-o, --output <FILE>',
      'write the result here instead of stdout (the json report advisories.report reads)',
    )
    .addOption(
      new Option('--fail-on <SEVERITY>', 'exit 1 from this severity on (waived advisories aside)')
        .choices(SEVERITY_ORDER)
        .default('high'),
    )
    .action(async (server, opts, command) => {
      const config = opts.config ?? usageError(command, '--config FILE is required');
      done(await deps({ ...opts, config }, server));
    });
