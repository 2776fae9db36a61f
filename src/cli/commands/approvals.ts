import { parseArgs } from 'node:util';
import { approvalQueueOf } from '../../cluster/approvals-redis.js';
import type { ApprovalQueue } from '../../authz/queue.js';
import { loadConfig } from '../../config/load.js';

export const APPROVALS_USAGE = `  toolgate approvals list --config FILE [--format table|json]
  toolgate approvals approve|deny ID --config FILE
                                               the calls waiting for an operator (approval.queue:
                                               a client that cannot be asked waits), and their answer
                                               (exit 1 if ID is not waiting, 2 on a usage error)`;

const usage = (message: string): number => {
  console.error(`toolgate approvals: ${message}\n${APPROVALS_USAGE}`);
  return 2;
};

/** `toolgate approvals`: works from any process that reaches the gateway's queue folder. */
export const approvals = async (argv: readonly string[]): Promise<number> => {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c', default: 'toolgate.yaml' },
        format: { type: 'string', default: 'table' },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [action, id, ...rest] = positionals;
  if (rest.length > 0) return usage('too many arguments');
  if (values.format !== 'table' && values.format !== 'json')
    return usage('--format is table or json');
  const config = await loadConfig(values.config);
  const queue = approvalQueueOf(config, values.config);
  try {
    return await answerOrList(queue, action, id, values.format);
  } finally {
    queue.close?.();
  }
};

const answerOrList = async (
  queue: ApprovalQueue,
  action: string | undefined,
  id: string | undefined,
  format: string,
): Promise<number> => {
  switch (action) {
    case 'list': {
      if (id !== undefined) return usage('list takes no ID');
      const waiting = await queue.list();
      if (format === 'json') console.log(JSON.stringify(waiting, null, 2));
      else if (waiting.length === 0) console.log('no call is waiting for approval');
      else
        for (const w of waiting)
          console.log(
            `${w.id}  ${w.agent} → ${w.server}/${w.item}  until ${w.expires}\n  why: ${w.reason} (${w.rule})\n  call: ${w.summary}`,
          );
      return 0;
    }
    case 'approve':
    case 'deny':
      if (id === undefined) return usage(`${action} needs the ID that list shows`);
      await queue.answer(id, action);
      console.log(`${action === 'approve' ? 'approved' : 'denied'} ${id}`);
      return 0;
    default:
      return usage('expected list, approve ID or deny ID');
  }
};
