import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertNode24, REPO, runProcess } from './toolchain.js';

// scripts/conformance-client.ts runs every client scenario of the official conformance suite (Node 24)
// with toolgate's upstream side as the client under test (test/fixtures/conformance-client.ts, on this
// Node). Every count comes from the suite's own checks.json files; the floor is what
// docs/conformance-client.md records, so a scenario that passes fewer checks than documented fails.
interface Row {
  readonly scenario: string;
  readonly passed: number;
  readonly failed: number;
  readonly warnings: number;
  readonly note: string;
  readonly firstFailure?: string;
}

let rows: readonly Row[];

/** The documented passed count of each scenario, from the table in docs/conformance-client.md. */
const documented = (): Map<string, number> => {
  const text = readFileSync(join(REPO, 'docs/conformance-client.md'), 'utf8');
  const cells = [...text.matchAll(/^\| ([a-z0-9_/.-]+) +\| (\d+) +\|/gm)];
  return new Map(cells.map((m) => [m[1] as string, Number(m[2])]));
};

beforeAll(async () => {
  const node24 = await assertNode24();
  const result = await runProcess(node24, [join(REPO, 'scripts/conformance-client.ts')], {
    timeoutMs: 1_500_000,
    env: { ...process.env, TOOLGATE_NODE: process.execPath },
  });
  expect(result.code, result.stderr).toBe(0);
  rows = (JSON.parse(result.stdout) as { rows: Row[] }).rows;
}, 1_600_000);

describe("when the conformance suite's client scenarios run against toolgate's upstream side", () => {
  it('runs every scenario the documentation lists, and documents every scenario it runs', () => {
    expect(rows.map((r) => r.scenario).sort()).toEqual([...documented().keys()].sort());
    expect(rows.length).toBeGreaterThanOrEqual(26);
  });

  it('passes every check of the scenarios that need no OAuth flow', () => {
    const core = rows.filter((r) => r.scenario === 'initialize' || r.scenario === 'tools_call');
    expect(core.map((r) => [r.scenario, r.passed, r.failed])).toEqual([
      ['initialize', 1, 0],
      ['tools_call', 1, 0],
    ]);
  });

  it('passes at least as many checks per scenario as docs/conformance-client.md records', () => {
    const floor = documented();
    // A warning is not a failure (the suite's own rule): sse-retry's timing check warns when a loaded
    // machine reconnects a little late, and passes when idle.
    const regressed = rows.filter(
      (r) => r.passed + r.warnings < (floor.get(r.scenario) ?? Infinity),
    );
    expect(
      regressed.map(
        (r) => `${r.scenario}: ${r.passed} < ${floor.get(r.scenario)}: ${r.firstFailure}`,
      ),
    ).toEqual([]);
  });

  it('fails a check only for a documented reason (OAuth flows, elicitation defaults)', () => {
    const unexplained = rows.filter(
      (r) => r.failed > 0 && (!r.note || r.note.startsWith('Unexplained')),
    );
    expect(unexplained.map((r) => `${r.scenario}: ${r.firstFailure}`)).toEqual([]);
  });
});
