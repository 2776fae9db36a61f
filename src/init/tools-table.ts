import type { Config } from '../config/schema.js';
import type { Lock } from '../pins/lock.js';

/** One line of a description as printable text: control, format and bidi characters dropped, length capped. */
const oneLine = (text: unknown, max: number): string => {
  // untrusted: a server wrote this description; it must not move the cursor or reorder the terminal.
  const flat = (typeof text === 'string' ? text : '').replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/**
 * The review table after `toolgate lock`: every locked tool of every configured server, whether the
 * config allows it yet, and the start of its description. Pure.
 */
export const toToolsTable = (config: Config, lock: Lock): string => {
  const rows: string[][] = [['SERVER', 'TOOL', 'ALLOWED', 'DESCRIPTION']];
  for (const [id, server] of Object.entries(config.servers)) {
    const locked = lock.servers[id];
    if (locked === undefined) {
      rows.push([id, '(not locked)', '', 'run toolgate lock; see its report']);
      continue;
    }
    for (const [name, item] of Object.entries(locked.tools).sort(([a], [b]) => a.localeCompare(b))) {
      const allowed = server.tools.includes('*') || server.tools.includes(name);
      rows.push([id, oneLine(name, 48), allowed ? 'yes' : 'no', oneLine(item.definition['description'], 70)]);
    }
  }
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c] ?? 0) : cell)).join('  ').trimEnd()).join('\n');
};
