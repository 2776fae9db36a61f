import { Command, Option } from '@commander-js/extra-typings';
import { configOption, done, isoDate, jsonValue, wholeNumber } from '../program.js';
import { exportLog, prove, query, tail, verify, withAuditLog, type View } from './audit.js';
import { DECISIONS, FOLLOW_INTERVAL_MS } from './audit-view.js';

// The parsers of `toolgate audit verify|tail|query|export|prove` (audit.ts does the work).

/** `--file EXPORT.jsonl`: read an export instead of the configured store. */
const fileOption = () =>
  new Option('--file <EXPORT>', 'read this export (audit export) instead of the configured store');

// The view: table or JSON lines (default: a table on a terminal, JSON lines into a pipe), and `--follow`.
const formatOption = () =>
  new Option('--format <FORMAT>', 'default: table on a terminal, json otherwise').choices([
    'table',
    'json',
  ] as const);
const jsonOption = () =>
  new Option('--json', 'the stored JSON lines (same as --format json)').conflicts('format');
const followOption = () =>
  new Option('-f, --follow', `keep printing new entries (looks every ${FOLLOW_INTERVAL_MS} ms)`);

const viewOf = (opts: { format?: 'table' | 'json'; json?: true; follow?: true }): View => ({
  format: opts.json ? 'json' : (opts.format ?? (process.stdout.isTTY ? 'table' : 'json')),
  follow: opts.follow === true,
});

const tailCommand = () =>
  new Command('tail')
    .description('the last N entries: time, agent, server, tool, decision, reasons')
    .addOption(configOption())
    .addOption(fileOption())
    .addOption(new Option('-n <N>', 'how many entries').argParser(wholeNumber).default(20))
    .addOption(formatOption())
    .addOption(jsonOption())
    .addOption(followOption())
    .action(async (opts) =>
      done(await withAuditLog(opts.config, opts.file, (ctx) => tail(ctx, opts.n, viewOf(opts)))),
    );

const queryCommand = () =>
  new Command('query')
    .description('the entries matching every filter given')
    .addOption(configOption())
    .addOption(fileOption())
    .option('--agent <AGENT>', 'the authenticated agent (principal)')
    .option('--server <SERVER>', 'the server')
    .option('--tool <TOOL>', 'the tool, prompt or resource')
    .addOption(new Option('--decision <DECISION>').choices(DECISIONS))
    .addOption(new Option('--since <ISO>', 'from this time on').argParser(isoDate))
    .addOption(new Option('--until <ISO>', 'up to this time').argParser(isoDate))
    .addOption(
      new Option('--value <JSON>', 'calls whose arguments or result were this value').argParser(
        jsonValue,
      ),
    )
    .addOption(formatOption())
    .addOption(jsonOption())
    .addOption(followOption())
    .action(async (opts) =>
      done(
        await withAuditLog(opts.config, opts.file, (ctx) =>
          query(ctx, opts, opts.value, viewOf(opts)),
        ),
      ),
    );

export const auditCommand = () =>
  new Command('audit')
    .description('verify, read and export the audit log')
    .addCommand(
      new Command('verify')
        .description('recompute the tree, check every checkpoint; exit 1 at the first divergence')
        .addOption(configOption())
        .addOption(fileOption())
        .option('--witness <FILE>', 'checkpoints a witness kept (default: audit.witnessFile)')
        .action(async (opts) =>
          done(await withAuditLog(opts.config, opts.file, (ctx) => verify(ctx, opts.witness))),
        ),
    )
    .addCommand(tailCommand())
    .addCommand(queryCommand())
    .addCommand(
      new Command('export')
        .description('entries and checkpoints, verifiable with audit verify --file')
        .addOption(configOption())
        .addOption(fileOption())
        .addOption(new Option('--format <FORMAT>').choices(['jsonl'] as const).default('jsonl'))
        .action(async (opts) => done(await withAuditLog(opts.config, opts.file, exportLog))),
    )
    .addCommand(
      new Command('prove')
        .description('inclusion proof of entry ENTRY in the latest checkpoint')
        .argument('<ENTRY>', 'the sequence number of the entry', wholeNumber)
        .addOption(configOption())
        .addOption(fileOption())
        .action(async (entry, opts) =>
          done(await withAuditLog(opts.config, opts.file, (ctx) => prove(ctx, entry))),
        ),
    );
