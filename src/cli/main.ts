#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { GatewayError } from '../errors.js';
import { toJsonSchema } from '../config/schema.js';
import { VERSION } from '../version.js';
import { run } from './commands/run.js';
import { serve } from './commands/serve.js';

const USAGE = `toolgate ${VERSION} — MCP security gateway

Usage:
  toolgate run   --config FILE                 serve MCP over stdio to one local client
  toolgate serve --config FILE [--listen H:P]  serve Streamable HTTP at /mcp (default 127.0.0.1:8787)
  toolgate schema                              print the config JSON Schema
  toolgate --version`;

const main = async (argv: readonly string[]): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c', default: 'toolgate.yaml' },
      listen: { type: 'string', default: '127.0.0.1:8787' },
      version: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.version) {
    console.log(VERSION);
    return 0;
  }
  const [command] = positionals;
  switch (command) {
    case 'run':
      await run(values.config);
      return -1;
    case 'serve':
      await serve(values.config, values.listen);
      return -1;
    case 'schema':
      console.log(JSON.stringify(toJsonSchema(), null, 2));
      return 0;
    default:
      console.log(USAGE);
      return values.help ? 0 : 2;
  }
};

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof GatewayError) console.error(`toolgate: ${error.code}: ${error.message}`);
    else console.error(`toolgate: ${(error as Error).message}`);
    process.exit(1);
  },
);
