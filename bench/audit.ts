import { parseArgs } from 'node:util';
import { auditCostSection } from './audit-cost.js';

/**
 * `npm run bench:audit`: the audit-cost part of `npm run bench` on its own (what the audit pair adds
 * to one tools/call, in process, every store and durability mode). Prints markdown; writes nothing.
 */
const { values } = parseArgs({ options: { calls: { type: 'string', default: '5000' }, rounds: { type: 'string', default: '3' } } });
console.log(await auditCostSection(Number(values.calls), Number(values.rounds)));
