import { parseArgs } from 'node:util';
import { auditCostSection, measureRound } from './audit-cost.js';

/**
 * `npm run bench:audit`: the audit-cost part of `npm run bench` on its own (what the audit pair adds
 * to one tools/call, in process, every store and durability mode). Prints markdown; writes nothing.
 * `--round N` is one round of mode N, run in a process of its own by `measureAuditCost`: prints its
 * figures as JSON.
 */
const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
    round: { type: 'string' },
  },
});
if (values.round !== undefined)
  console.log(JSON.stringify(await measureRound(Number(values.round), Number(values.calls))));
else console.log(auditCostSection(Number(values.calls), Number(values.rounds)));
