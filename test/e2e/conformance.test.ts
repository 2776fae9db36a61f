import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertNode24, REPO, runProcess } from './toolchain.js';

// scripts/conformance.ts runs the official conformance suite (Node 24) against the official
// "everything" server directly and through `toolgate serve`; toolgate itself runs on this Node.
interface Scenario {
  readonly passed: number;
  readonly failed: number;
  readonly firstFailure?: string;
}
interface Summary {
  readonly directPassed: number;
  readonly toolgatePassed: number;
  readonly rows: readonly {
    scenario: string;
    direct?: Scenario;
    toolgate?: Scenario;
    note: string;
  }[];
}

let summary: Summary;

beforeAll(async () => {
  const node24 = await assertNode24();
  const result = await runProcess(node24, [join(REPO, 'scripts/conformance.ts')], {
    timeoutMs: 240_000,
    env: { ...process.env, TOOLGATE_NODE: process.execPath },
  });
  expect(result.code, result.stderr).toBe(0);
  summary = JSON.parse(result.stdout) as Summary;
}, 300_000);

describe('when the MCP conformance suite runs against server-everything directly and through toolgate', () => {
  it('runs the server scenarios and passes some directly', () => {
    expect(summary.rows.length).toBeGreaterThan(20);
    expect(summary.directPassed).toBeGreaterThan(5);
  });

  it('passes as many checks through toolgate as directly, in every scenario', () => {
    const comparable = summary.rows;
    const worse = comparable
      .filter((row) => (row.toolgate?.passed ?? 0) < (row.direct?.passed ?? 0))
      .map(
        (row) => `${row.scenario}: ${row.toolgate?.firstFailure ?? 'no result through toolgate'}`,
      );
    expect(worse).toEqual([]);
    const passed = (side: 'direct' | 'toolgate') =>
      comparable.reduce((n, row) => n + (row[side]?.passed ?? 0), 0);
    expect(passed('toolgate')).toBeGreaterThanOrEqual(passed('direct'));
  });

  it('[HTTP-2] differs from the direct run only where toolgate adds Host/Origin checks', () => {
    const better = summary.rows
      .filter((row) => (row.toolgate?.passed ?? 0) > (row.direct?.passed ?? 0))
      .map((row) => row.scenario);
    expect(better.every((scenario) => /rebinding/.test(scenario))).toBe(true);
  });
});
