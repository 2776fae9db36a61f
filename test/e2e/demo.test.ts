import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { built, ROOT } from './harness.js';

describe('the README demo', () => {
  it('validates examples/demo.yaml', () => {
    const config = parseConfig(parse(readFileSync(join(ROOT, 'examples/demo.yaml'), 'utf8')));
    expect(Object.keys(config.servers)).toEqual(['everything', 'memory', 'files']);
  });

  it('[ALLOW-2] shows allowed calls succeed and denied calls fail', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [built('test/fixtures/demo.ts')],
      { cwd: ROOT },
    );
    expect(stdout).toContain('ALLOWED  everything__echo');
    expect(stdout).toContain('DENIED   everything__get-env → JSON-RPC -32003 POLICY_TOOL_DENIED');
    expect(stdout).toContain('DENIED   files__write_file');
    expect(stdout).not.toContain('UNEXPECTED');
    expect(stdout).toMatch(/audit log: ok: \d+ entries/);
  });
});
