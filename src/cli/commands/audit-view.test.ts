import { describe, expect, it } from 'vitest';
import { matches, printer, tableHeader, tableRow } from './audit-view.js';

const entry = {
  v: 1,
  seq: 3,
  time: '2026-12-07T14:02:24.123Z',
  decision: 'deny',
  principal: 'alice',
  server: 'github',
  target: 'delete_repo',
  reason: 'POLICY_TOOL_DENIED',
};

describe('audit views', () => {
  it('shows an entry as one row under the header', () => {
    expect(tableHeader()).toMatch(/^TIME {17}AGENT +SERVER +TOOL +DECISION +REASONS$/);
    expect(tableRow(JSON.stringify(entry))).toMatch(
      /^2026-12-07 14:02:24 {2}alice +github +delete_repo +deny +POLICY_TOOL_DENIED$/,
    );
    const event = {
      ...entry,
      decision: 'event',
      event: { kind: 'upstream', event: { kind: 'started' } },
    };
    delete (event as Partial<typeof entry>).principal;
    delete (event as Partial<typeof entry>).target;
    delete (event as Partial<typeof entry>).reason;
    expect(tableRow(JSON.stringify(event))).toMatch(/ - +github +- +event +upstream started$/);
  });

  it('cuts long cells and shows control characters as U+FFFD (names are untrusted)', () => {
    const row = tableRow(JSON.stringify({ ...entry, target: `evil\u001b[2J${'x'.repeat(40)}` }));
    expect(row).not.toContain('\u001b');
    expect(row).toContain('evil\ufffd[2J');
    expect(row).toContain('…');
  });

  it('prints the header once, then JSON bodies or rows', () => {
    const lines: string[] = [];
    const print = printer('table', (l) => lines.push(l));
    print([]);
    print([{ seq: 3, body: JSON.stringify(entry) }]);
    expect(lines).toHaveLength(2);
    const json: string[] = [];
    printer('json', (l) => json.push(l))([{ seq: 3, body: '{"seq":3}' }]);
    expect(json).toEqual(['{"seq":3}']);
  });

  it('matches every filter given, times as UTC ISO strings', () => {
    expect(matches(entry, { agent: 'alice', decision: 'deny' }, undefined)).toBe(true);
    expect(matches(entry, { since: '2026-12-07T14:02:25.000Z' }, undefined)).toBe(false);
    expect(matches(entry, { until: '2026-12-07T14:02:25.000Z' }, undefined)).toBe(true);
    expect(matches(entry, { server: 'other' }, undefined)).toBe(false);
  });
});
