import { randomUUID } from 'node:crypto';
import { lstat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/load.js';
import { GatewayError, SbomError } from '../../errors.js';
import { hashTree, hashTreeFiles, treeDigest } from '../../packages/fingerprint.js';
import { installedAt } from '../../packages/managed.js';
import { storeRootOf } from '../../packages/places.js';
import { pypiEntryDir } from '../../packages/pypi-store.js';
import type { LockPackage } from '../../pins/lock.js';
import { lockPathOf, readLock } from '../../pins/store.js';
import {
  buildSbom,
  type CdxBom,
  type NpmSbomServer,
  type PypiSbomServer,
  type SbomServer,
} from '../../sbom/build.js';
import { toPypiWheels } from '../../sbom/pypi.js';
import { nodeModulesOf, readInstalledTree } from '../../packages/installed-tree.js';
import { VERSION } from '../../version.js';
import { done, requiredConfigOption, usageError } from '../program.js';

const SBOM_DESCRIPTION =
  'CycloneDX 1.6 JSON SBOM of every npm and Python (uvx, pipx) server the lock pins, with the ' +
  'dependencies of its installed tree or locked wheels (exit 1 if an installed tree no longer ' +
  'matches the lock)';

type Warn = (line: string) => void;

/** An npm server with its installed tree, refused when that tree no longer matches the lock. */
const npmServerOf = async (
  id: string,
  pkg: Extract<LockPackage, { kind: 'npm' }>,
  store: string,
  warn: Warn,
): Promise<NpmSbomServer> => {
  const installPath = installedAt(pkg, store);
  let tree;
  if (installPath === undefined)
    warn(`${id}: the lock records no installed copy: dependencies unknown`);
  else {
    if (
      pkg.tree !== undefined &&
      treeDigest(await hashTreeFiles(installPath).catch(() => new Map<string, string>())) !==
        pkg.tree
    )
      throw new SbomError(
        'SBOM_TREE_CHANGED',
        `${id}: ${installPath} no longer matches the lock (run toolgate diff)`,
      );
    if (
      pkg.dependencies !== undefined &&
      (await hashTree(nodeModulesOf(installPath, pkg.name), true).catch(() => '')) !==
        pkg.dependencies
    )
      throw new SbomError(
        'SBOM_TREE_CHANGED',
        `${id}: the dependencies under ${nodeModulesOf(installPath, pkg.name)} no longer match the lock (run toolgate diff)`,
      );
    tree = await readInstalledTree(installPath, pkg.name);
    if (tree === undefined) warn(`${id}: ${installPath} is not installed: dependencies unknown`);
    else for (const m of tree.missing) warn(`${id}: not installed: ${m}`);
  }
  const { name, version, integrity, launcher } = pkg;
  return { kind: 'npm', id, name, version, integrity, launcher, installPath, tree };
};

/**
 * A uvx/pipx server: its wheels come from the lock itself. When its store entry is on disk, the
 * entry must still hash as locked (as the before-spawn check demands); an entry not on disk does
 * not change what the lock pins, so it is only said.
 */
const pypiServerOf = async (
  id: string,
  pkg: Extract<LockPackage, { kind: 'pypi' }>,
  store: string,
  warn: Warn,
): Promise<PypiSbomServer> => {
  const entry =
    pkg.tree === undefined ? undefined : pypiEntryDir(store, { ...pkg, tree: pkg.tree });
  const site = entry && join(entry, 'site');
  if (site === undefined) warn(`${id}: the lock records no store entry`);
  else if ((await lstat(site).catch(() => undefined)) === undefined)
    warn(`${id}: its store entry ${entry} is not on disk`);
  else if ((await hashTree(site, true).catch(() => '')) !== pkg.tree)
    throw new SbomError(
      'SBOM_TREE_CHANGED',
      `${id}: ${entry} no longer matches the lock (run toolgate lock ${id} to install it again)`,
    );
  const { wheels, unreadable } = toPypiWheels(pkg.distributions);
  for (const file of unreadable) warn(`${id}: ${file} is not a wheel file name: left out`);
  const { name, version, python } = pkg;
  return { kind: 'pypi', id, name, version, python, installPath: entry, wheels, unreadable };
};

/**
 * The npm and Python servers of the config's lock (or the one named): npm ones with their
 * installed tree when still on disk, Python ones with every wheel the lock pins. An installed tree
 * that differs from the lock's digests is refused: the SBOM describes what the lock pins, not
 * whatever the folder holds now.
 */
export const lockedServers = async (
  configPath: string,
  only: string | undefined,
  warn: Warn,
): Promise<SbomServer[]> => {
  const config = await loadConfig(configPath);
  const lockPath = lockPathOf(configPath, config);
  const store = storeRootOf(config.lock.store, dirname(resolve(configPath)));
  const lock = await readLock(lockPath);
  if (lock === undefined)
    throw new SbomError(
      'SBOM_NO_LOCK',
      `no lock at ${lockPath}: run toolgate lock --config ${configPath} first`,
    );
  if (only !== undefined && !(only in lock.servers))
    throw new SbomError(
      'SBOM_UNKNOWN_SERVER',
      `server "${only}" is not in ${lockPath} (locked: ${Object.keys(lock.servers).join(', ') || 'none'})`,
    );
  const servers: SbomServer[] = [];
  for (const [id, entry] of Object.entries(lock.servers)) {
    if (only !== undefined && id !== only) continue;
    if (!(id in config.servers)) {
      warn(`${id}: in the lock but no longer in the config: left out`); // it no longer runs
      continue;
    }
    const pkg = entry.package;
    if (pkg.kind === 'npm') servers.push(await npmServerOf(id, pkg, store, warn));
    else if (pkg.kind === 'pypi') servers.push(await pypiServerOf(id, pkg, store, warn));
    else warn(`${id}: not an npm or Python package (${pkg.kind}): left out`);
  }
  return servers;
};

const sbomOf = (servers: readonly SbomServer[]): CdxBom =>
  buildSbom({
    servers,
    serialNumber: `urn:uuid:${randomUUID()}`,
    timestamp: new Date().toISOString(),
    toolVersion: VERSION,
  });

/** `toolgate sbom`: exit 0 with the SBOM, 1 when an installed tree differs from the lock, 2 on a usage or input error. */
const sbom = async (
  values: { config: string; output?: string | undefined },
  server: string | undefined,
): Promise<number> => {
  let servers: SbomServer[];
  try {
    servers = await lockedServers(values.config, server, (line) =>
      console.error(`toolgate sbom: ${line}`),
    );
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    console.error(`toolgate sbom: ${error.code}: ${error.message}`);
    return error.code === 'SBOM_TREE_CHANGED' ? 1 : 2;
  }
  const text = JSON.stringify(sbomOf(servers), null, 2) + '\n';
  if (values.output === undefined) process.stdout.write(text);
  else await writeFile(values.output, text);
  return 0;
};

export const sbomCommand = () =>
  new Command('sbom')
    .description(SBOM_DESCRIPTION)
    .argument('[SERVER]', 'only this server')
    .addOption(requiredConfigOption())
    .option('-o, --output <FILE>', 'write the SBOM here instead of stdout')
    .action(async (server, opts, command) =>
      done(
        await sbom(
          { ...opts, config: opts.config ?? usageError(command, '--config FILE is required') },
          server,
        ),
      ),
    );
