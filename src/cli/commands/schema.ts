import { Command } from '@commander-js/extra-typings';
import { toJsonSchema } from '../../config/schema.js';
import { toLockJsonSchema } from '../../pins/lock.js';
import { done } from '../program.js';

export const schemaCommand = () =>
  new Command('schema')
    .description('print the config (or, with --lock, the lock) JSON Schema')
    .option('--lock', 'the lock file schema')
    .action((opts) => {
      console.log(JSON.stringify(opts.lock ? toLockJsonSchema() : toJsonSchema(), null, 2));
      done(0);
    });
