import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, tempDir } from '../e2e/harness.js';
import { eventually, faultConfig, startFaultGateway, toolgate } from './fault-gateway.js';

describe("when a locked server's package is tampered with", () => {
  it('[FAIL-3] the start is refused once with PACKAGE_TAMPERED naming the changed file, never retried; the others serve', async () => {
    // An installed npm package (node_modules launcher) whose entry runs the echo fixture.
    const dir = tempDir();
    const pkg = join(dir, 'node_modules', 'echo-mcp');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: 'echo-mcp', version: '1.2.3', type: 'module' }),
    );
    writeFileSync(join(pkg, 'index.js'), `import ${JSON.stringify(fixture('echo-server'))};\n`);
    writeFileSync(join(pkg, 'README.md'), 'echo\n');
    const bad = {
      command: process.execPath,
      args: [join(pkg, 'index.js')],
      tools: ['*'],
      sandbox: false,
      pin: { provenance: 'off' },
      restart: { maxRetries: 3, initialDelayMs: 50, maxDelayMs: 100, startTimeoutMs: 20_000 },
    };
    writeFileSync(join(dir, 'toolgate.yaml'), JSON.stringify(faultConfig(bad)));
    const locked = await toolgate(['lock', '--config', join(dir, 'toolgate.yaml')]);
    expect(locked.code, locked.stderr).toBe(0);
    const lock = JSON.parse(readFileSync(join(dir, 'toolgate.lock'), 'utf8')) as {
      servers: { bad: { package: { files?: Record<string, string> } } };
    };
    expect(Object.keys(lock.servers.bad.package.files ?? {})).toEqual([
      'README.md',
      'index.js',
      'package.json',
    ]);

    appendFileSync(join(pkg, 'index.js'), 'process.env.EXFIL = "1";\n');
    const f = await startFaultGateway(bad, { lockDir: dir });
    await eventually(() => f.events('failed').length === 1, 30_000);
    const failed = f.events('failed')[0] as { code?: string; reason?: string };
    expect(failed.code).toBe('PACKAGE_TAMPERED');
    expect(failed.reason).toContain(
      `the installed files of echo-mcp@1.2.3 (first difference: ${join(pkg, 'index.js')})`,
    );
    expect(f.events('restarting')).toEqual([]);
    expect(f.events('crashed')).toEqual([]);
    const error = await f.callBad('echo');
    expect(error).toMatchObject({ data: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(error?.message).toMatch(
      /server "bad" is unavailable \(failed\): PACKAGE_TAMPERED: .*first difference: .*index\.js/,
    );
    await f.assertContained();
  });
});
