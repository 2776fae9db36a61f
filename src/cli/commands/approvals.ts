import { hostname, userInfo } from 'node:os';
import { Command, Option } from '@commander-js/extra-typings';
import { approvalQueueOf } from '../../cluster/approvals-redis.js';
import type { ApprovalQueue } from '../../authz/queue.js';
import { loadConfig } from '../../config/load.js';
import { configOption, done, shortName } from '../program.js';

/** Runs `use` on the gateway's queue (its folder, or Redis with `cluster.redis`), then lets it go. */
const withQueue = async <T>(configPath: string, use: (queue: ApprovalQueue) => Promise<T>) => {
  const queue = approvalQueueOf(await loadConfig(configPath), configPath);
  try {
    return await use(queue);
  } finally {
    queue.close?.();
  }
};

/** `toolgate approvals list`: the calls waiting for an operator. */
const list = async (configPath: string, format: 'table' | 'json'): Promise<number> => {
  const waiting = await withQueue(configPath, (queue) => queue.list());
  if (format === 'json') console.log(JSON.stringify(waiting, null, 2));
  else if (waiting.length === 0) console.log('no call is waiting for approval');
  else
    for (const w of waiting)
      console.log(
        `${w.id}  ${w.agent} → ${w.server}/${w.item}  until ${w.expires}\n  why: ${w.reason} (${w.rule})\n  call: ${w.summary}`,
      );
  return 0;
};

/** Who answers: the OS account and machine, which the audit log records with the verdict. */
const operator = (): string => `${userInfo().username}@${hostname()}`;

const answerCommand = (action: 'approve' | 'deny') =>
  new Command(action)
    .description(`${action} the waiting call ID (exit 1 if ID is not waiting)`)
    .argument('<ID>', 'the ID that list shows')
    .addOption(configOption())
    .option('--by <NAME>', 'who answers, for the audit log (default: USER@HOST)', shortName)
    .action(async (id, opts) => {
      const by = opts.by ?? operator();
      await withQueue(opts.config, (queue) => queue.answer(id, { decision: action, by }));
      console.log(`${action === 'approve' ? 'approved' : 'denied'} ${id}`);
      done(0);
    });

/** `toolgate approvals`: works from any process that reaches the gateway's queue (folder or Redis). */
export const approvalsCommand = () =>
  new Command('approvals')
    .description(
      'the calls waiting for an operator (approval.queue: a client that cannot be asked waits), ' +
        'and their answer',
    )
    .addCommand(
      new Command('list')
        .description('the calls waiting for approval')
        .addOption(configOption())
        .addOption(
          new Option('--format <FORMAT>').choices(['table', 'json'] as const).default('table'),
        )
        .action(async (opts) => done(await list(opts.config, opts.format))),
    )
    .addCommand(answerCommand('approve'))
    .addCommand(answerCommand('deny'));
