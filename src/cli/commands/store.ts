import { Command, Option } from '@commander-js/extra-typings';
import { dirname, resolve } from 'node:path';
import { done } from '../program.js';
import { loadConfig } from '../../config/load.js';
import { storeRootOf } from '../../packages/places.js';
import { collectStoreGarbage, referencedEntries } from '../../packages/store-gc.js';
import { requireLock } from './diff.js';

/**
 * `toolgate store gc [--config F]... [--dry-run]`: removes the package store entries none of the
 * named configs' locks reference. Several projects may share one store (the user's cache dir): name
 * every config whose lock should keep its entries, or a later start of the others finds its entry
 * gone (`PACKAGE_NOT_INSTALLED`; `toolgate lock` installs it again).
 */
const gc = async (configs: readonly string[], dryRun: boolean): Promise<number> => {
  const keepByRoot = new Map<string, Set<string>>();
  for (const configPath of configs) {
    const config = await loadConfig(configPath);
    const { lock } = await requireLock(configPath, config);
    const root = storeRootOf(config.lock.store, dirname(resolve(configPath)));
    const keep = keepByRoot.get(root) ?? new Set<string>();
    const packages = Object.values(lock.servers).map((server) => server.package);
    for (const name of referencedEntries(packages)) keep.add(name);
    keepByRoot.set(root, keep);
  }
  for (const [root, keep] of keepByRoot) {
    const { kept, removed } = await collectStoreGarbage(root, keep, dryRun);
    const verb = dryRun ? 'would remove' : 'removed';
    for (const name of removed) process.stdout.write(`${verb} ${name}\n`);
    process.stdout.write(
      `${root}: kept ${kept.length} entr${kept.length === 1 ? 'y' : 'ies'}, ${verb} ${removed.length}\n`,
    );
  }
  return 0;
};

export const storeCommand = () =>
  new Command('store').description('the managed package store').addCommand(
    new Command('gc')
      .description("remove store entries no named config's lock references")
      .addOption(
        new Option(
          '-c, --config <FILE...>',
          'configs whose locks keep their entries (name every project sharing the store)',
        ).default(['toolgate.yaml']),
      )
      .option('--dry-run', 'list what would be removed, remove nothing')
      .action(async (opts) => done(await gc(opts.config, opts.dryRun === true))),
  );
