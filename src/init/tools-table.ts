import type { Config } from '../config/schema.js';
import type { Lock } from '../pins/lock.js';
import { printable, toColumns } from '../tools/format.js';
import { listItems } from '../tools/list.js';

/**
 * The review table after `toolgate lock`: every locked tool of every configured server, whether the
 * config allows it yet, and the start of its description. A view of `toolgate tools`' listing
 * (tools/list.ts), so both commands decide "allowed" with the gateway's own allowlist. Pure.
 */
export const toToolsTable = (config: Config, lock: Lock): string => {
  const rows: string[][] = [['SERVER', 'TOOL', 'ALLOWED', 'DESCRIPTION']];
  for (const item of listItems(config, lock).items) {
    if (item.code === 'LOCK_SERVER_MISSING')
      rows.push([item.server, '(not locked)', '', 'run toolgate lock; see its report']);
    else if (item.kind === 'tool' && item.code !== 'PIN_MISSING')
      rows.push([
        item.server,
        printable(item.name, 48),
        item.code === 'POLICY_TOOL_DENIED' ? 'no' : 'yes',
        printable(item.description, 70),
      ]);
  }
  return toColumns(rows);
};
