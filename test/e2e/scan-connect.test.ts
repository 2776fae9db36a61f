import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sarifSchema } from '../fixtures/schemas/validate.js';
import { fixture, npmServer, runToolgate, tempDir } from './harness.js';

interface Sarif {
  runs: { results: { ruleId: string; level: string; message: { text: string } }[] }[];
}

describe('toolgate scan --connect', () => {
  it('[SCAN-9] starts each server sandboxed, flags poisoned live definitions and shared tool names, in valid SARIF', async () => {
    const dir = tempDir();
    const config = join(dir, 'toolgate.yaml');
    const stdio = (path: string) => ({ command: process.execPath, args: [path], tools: ['*'] });
    writeFileSync(
      config,
      JSON.stringify({
        servers: {
          memory: stdio(npmServer('server-memory')),
          poisoned: stdio(fixture('poisoned')),
          echo: stdio(fixture('echo-server')),
          echo2: stdio(fixture('echo-server')),
          broken: stdio(fixture('fails-at-start')),
        },
      }),
    );
    const r = await runToolgate(['scan', '--connect', '--format', 'sarif', config], {
      timeoutMs: 170_000,
    });
    expect(r.code, r.stderr).toBe(1);
    const sarif = JSON.parse(r.stdout) as Sarif;
    const validate = sarifSchema(); // the published SARIF 2.1.0 schema
    expect(validate(sarif)).toEqual([]);
    const results = sarif.runs[0]?.results ?? [];
    const of = (rule: string) =>
      results.filter((x) => x.ruleId === rule).map((x) => x.message.text);
    expect(of('poisoned-definition').join('\n')).toMatch(/live tools\//);
    expect(of('poisoned-definition').some((m) => m.includes('scored'))).toBe(true);
    expect(
      of('shared-tool-name').filter((m) => /^echo2?: live: tool "echo" /.test(m)),
    ).toHaveLength(2);
    expect(of('server-not-started').join('\n')).toContain('LOCK_SERVER_EXITED');
  }, 180_000);
});
