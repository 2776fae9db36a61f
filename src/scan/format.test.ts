import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toJson, toSarif, toTable } from './format.js';
import type { ScanReport } from './scan.js';
import type { Finding } from './types.js';

const finding = (over: Partial<Finding> = {}): Finding => ({
  rule: 'no-sandbox',
  severity: 'high',
  server: 'fs',
  location: {
    file: '/home/u/My Config/claude.json',
    pointer: '/mcpServers/fs',
    line: 4,
    column: 5,
  },
  message: 'runs outside any sandbox',
  fix: 'run it through toolgate',
  ...over,
});
const report = (findings: Finding[]): ScanReport => ({
  files: [{ file: '/home/u/My Config/claude.json', kind: 'mcpServers', servers: 1 }],
  findings,
});

/** C0 (newline aside), DEL, C1 and the bidi controls: what the table must escape. */
const isHidden = (c: string): boolean => {
  const n = c.codePointAt(0) ?? 0;
  return (
    (n < 0x20 && n !== 0x0a) ||
    (n >= 0x7f && n <= 0x9f) ||
    (n >= 0x202a && n <= 0x202e) ||
    (n >= 0x2066 && n <= 0x2069)
  );
};

describe('when a scan report is printed as a table', () => {
  it('prints each finding with its place, message and fix, then the counts', () => {
    const lines = toTable(
      report([finding(), finding({ severity: 'low', rule: 'broad-allowlist' })]),
    ).split('\n');
    expect(lines[0]).toBe('scanned /home/u/My Config/claude.json (mcpServers, 1 server)');
    expect(lines).toContain(
      'HIGH   no-sandbox        fs  /home/u/My Config/claude.json:4 /mcpServers/fs',
    );
    expect(lines).toContain('       fix: run it through toolgate');
    expect(lines.at(-2)).toBe('2 finding(s): 1 high, 0 medium, 1 low');
  });

  it('says so when there is nothing to report', () =>
    expect(toTable({ files: [], findings: [] })).toContain('no findings'));

  it('[SCAN-8] never sends a control or bidi character a scanned file holds to the terminal', () =>
    fc.assert(
      fc.property(
        fc.string({ maxLength: 12 }),
        fc.constantFrom('\x1b[2J', '\u202e', '\r', '\x07'),
        (name, bad) => {
          const text = toTable(report([finding({ server: `${name}${bad}` })]));
          expect([...text.slice(0, -1)].filter(isHidden)).toEqual([]);
        },
      ),
    ));
});

describe('when a scan report is printed as SARIF', () => {
  const sarif = JSON.parse(
    toSarif(
      report([
        finding(),
        finding({
          rule: 'plain-http',
          severity: 'medium',
          location: { file: 'rel/dir\\c.json', pointer: '/x' },
        }),
      ]),
    ),
  ) as {
    version: string;
    runs: {
      tool: { driver: { rules: { id: string }[] } };
      results: {
        ruleId: string;
        ruleIndex: number;
        level: string;
        locations: { physicalLocation: Record<string, unknown> }[];
      }[];
    }[];
  };
  const run = sarif.runs[0];

  it('[SCAN-8] lists every rule and points each result at its rule by index', () => {
    expect(sarif.version).toBe('2.1.0');
    const ids = run?.tool.driver.rules.map((r) => r.id) ?? [];
    expect(ids).toHaveLength(9);
    for (const r of run?.results ?? []) expect(ids[r.ruleIndex]).toBe(r.ruleId);
    expect(run?.results.map((r) => r.level)).toEqual(['error', 'warning']);
  });

  it('[SCAN-8] gives an absolute file a file:// URI, percent-encoded, and keeps a relative one relative', () => {
    expect(run?.results[0]?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'file:///home/u/My%20Config/claude.json' },
      region: { startLine: 4, startColumn: 5 },
    });
    expect(run?.results[1]?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'rel/dir/c.json' },
    });
  });

  it('prints JSON with its version and tool', () =>
    expect(JSON.parse(toJson(report([])))).toMatchObject({
      version: 1,
      tool: 'toolgate scan',
      findings: [],
    }));
});
