import { Command, Option } from '@commander-js/extra-typings';
import { CLIENTS } from '../../init/clients.js';
import { configOption, done, usageError } from '../program.js';
import { initKeys } from './audit.js';
import { initFrom, initTools } from './init-from.js';

/**
 * `toolgate init`: the audit keys of a config (`--rotate`: a new signing key); with `--from`, a
 * client's MCP config imported (and `--wrap`/`--unwrap`); with `--tools`, each locked tool, allowed or not.
 */
export const initCommand = () =>
  new Command('init')
    .description(
      'create the audit signing key (0600) and public key beside the config; or, with --from, ' +
        "import a client's MCP servers into the config (secrets as references, allowlists empty)",
    )
    .addOption(configOption())
    .option('--rotate', 'add a new audit signing key')
    .option('--from <CLIENT|PATH>', `a client config file, or one of ${CLIENTS.join(', ')}`)
    .option('--force', 'with --from: overwrite an existing config')
    .addOption(
      new Option('--wrap', 'with --from: point the client at toolgate (after a backup)').conflicts(
        'unwrap',
      ),
    )
    .option('--unwrap', 'with --from: restore the client config --wrap changed')
    .option('--tools', "after toolgate lock: each server's tools, allowed or not")
    .action(async (opts, command) => {
      if (opts.tools) return done(await initTools(opts.config));
      if (opts.from !== undefined) return done(await initFrom({ ...opts, from: opts.from }));
      if (opts.force || opts.wrap || opts.unwrap)
        usageError(command, '--force, --wrap and --unwrap go with --from CLIENT|PATH');
      done(await initKeys(opts.config, opts.rotate === true));
    });
