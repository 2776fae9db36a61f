import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/load.js';
import { GatewayError, SbomError } from '../../errors.js';
import { hashTree, hashTreeFiles, treeDigest } from '../../packages/fingerprint.js';
import { installedAt } from '../../packages/managed.js';
import { storeRootOf } from '../../packages/places.js';
import { lockPathOf, readLock } from '../../pins/store.js';
import { buildSbom, type CdxBom, type SbomServer } from '../../sbom/build.js';
import { nodeModulesOf, readInstalledTree } from '../../packages/installed-tree.js';
import { VERSION } from '../../version.js';
import { done, requiredConfigOption, usageError } from '../program.js';

const SBOM_DESCRIPTION =
  'CycloneDX 1.6 JSON SBOM of every npm server the lock pins, with the dependencies of its ' +
  'installed tree (exit 1 if an installed tree no longer matches the lock)';

/**
 * The npm servers of the config's lock (or the one named), each with its installed tree when the
 * lock recorded one that is still on disk. An installed tree that differs from the lock's digests is
 * refused: the SBOM describes what the lock pins, not whatever the folder holds now.
 */
export const lockedNpmServers = async (
  configPath: string,
  only: string | undefined,
  warn: (line: string) => void,
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
    if (pkg.kind !== 'npm') {
      warn(`${id}: not an npm package (${pkg.kind}): left out`);
      continue;
    }
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
    servers.push({
      id,
      name: pkg.name,
      version: pkg.version,
      integrity: pkg.integrity,
      launcher: pkg.launcher,
      installPath,
      tree,
    });
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
    servers = await lockedNpmServers(values.config, server, (line) =>
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
