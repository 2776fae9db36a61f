import { spawn, spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { startGateway } from '../faults/audit-gateway.js';
import { BIN, eventually, fixture, runToolgate, tempDir } from './harness.js';

/** The real CLI's parser: per-command help, usage errors (exit 2), completion, the audit views, the log formats. */

describe('toolgate CLI: help, version and usage errors', () => {
  it('prints a command its own help, and the version', async () => {
    const lock = await runToolgate(['lock', '--help']);
    expect(lock.code).toBe(0);
    expect(lock.stdout).toContain('Usage: toolgate lock [options] [SERVER...]');
    expect(lock.stdout).toContain('--allow-unpinned');
    expect(lock.stdout).not.toContain('toolgate serve');
    const query = await runToolgate(['audit', 'query', '--help']);
    expect(query.stdout).toContain('Usage: toolgate audit query');
    expect(query.stdout).toContain('(choices: "forward", "deny", "result"');
    const version = await runToolgate(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  it('lists every command in the help, with global options before the command or not', async () => {
    // main.ts loads only the command a line names: whatever it loads, help lists them all.
    const commands = ['run', 'serve', 'lock', 'diff', 'store', 'approve', 'tools', 'init', 'check'];
    const more = ['scan', 'deps', 'sbom', 'redteam', 'audit', 'approvals', 'policy', 'inspect'];
    for (const args of [['--help'], ['-q', '--help'], ['--log-level', 'debug', 'help']]) {
      const help = await runToolgate(args);
      expect(help.code, args.join(' ')).toBe(0);
      const listed = help.stdout.split('\n').map((l) => /^ {2}(\w+)/.exec(l)?.[1]);
      for (const name of [...commands, ...more, 'schema', 'completion', 'help'])
        expect(listed, `${args.join(' ')}: ${name}`).toContain(name);
    }
    const schema = await runToolgate(['--log-format', 'json', '-q', 'policy', 'schema']);
    expect(schema.code, schema.stderr).toBe(0);
    expect(schema.stdout).toContain('namespace');
  });

  it('audit without a subcommand prints audit usage (exit 2), not a config error', async () => {
    const r = await runToolgate(['audit'], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: toolgate audit');
    expect(r.stderr).toContain('tail [options]');
    expect(r.stderr).not.toContain('CONFIG_UNREADABLE');
  });

  it.each([
    [['bogus'], "unknown command 'bogus'"],
    [['lock', '--bogus'], "unknown option '--bogus'"],
    [['audit', 'query', '--decision', 'denied'], 'Allowed choices are forward, deny'],
    [['audit', 'query', '--since', 'yesterday'], 'expected an ISO 8601 date'],
    [['audit', 'query', '--until', '2026-13-45'], 'expected an ISO 8601 date'],
    [['audit', 'query', '--value', '{not json'], 'expected a JSON value'],
    [['audit', 'tail', '-n', 'abc'], 'expected a whole number'],
    [['audit', 'prove', 'x'], 'expected a whole number'],
    [['check', '--config', 'x.yaml', '--fail-on', 'never'], 'Allowed choices are fail, warn'],
    [['run', '--log-format', 'xml'], 'Allowed choices are pretty, json'],
    [['completion', 'fish'], 'Allowed choices are bash, zsh'],
    [['serve', '--listen', 'localhost'], 'expected HOST:PORT, [IPv6]:PORT or PORT'],
    [['serve', '--listen', '127.0.0.1:99999'], 'expected HOST:PORT, [IPv6]:PORT or PORT'],
  ])('%j is a usage error: exit 2, the reason, the command usage', async (args, reason) => {
    const r = await runToolgate(args, { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(reason);
    expect(r.stderr).toContain('Usage: toolgate');
    expect(r.stdout).toBe('');
  });
});

describe('toolgate serve on an address it cannot bind', () => {
  it('exits 1 with SERVE_LISTEN_FAILED naming the address, why, and the fix', async () => {
    const dir = tempDir();
    const config = join(dir, 'toolgate.yaml');
    const echo = { command: process.execPath, args: [fixture('echo-server')], tools: ['echo'] };
    writeFileSync(config, JSON.stringify({ servers: { echo } }));
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const listen = `127.0.0.1:${(busy.address() as AddressInfo).port}`;
    const r = await runToolgate(['serve', '--no-lock', '--config', config, '--listen', listen]);
    busy.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `toolgate: SERVE_LISTEN_FAILED: cannot listen on ${listen}: the address is already in use`,
    );
    expect(r.stderr).toContain('pass another --listen');
  }, 120_000);
});

/**
 * What bash completes for `words` (the last one being typed), with the script `toolgate completion
 * bash` prints, in a folder of its own (files are completed too) holding only `client.json`.
 */
const completionDir = tempDir();
writeFileSync(join(completionDir, 'client.json'), '{}');
const complete = (script: string, words: string[]): string[] => {
  const r = spawnSync(
    'bash',
    [
      '-c',
      `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _toolgate; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: 'utf8', cwd: completionDir },
  );
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter((l) => l !== '');
};

describe('toolgate completion', () => {
  it('completes commands, subcommands, options and their choices from the parser', async () => {
    const bash = await runToolgate(['completion', 'bash']);
    expect(bash.code).toBe(0);
    expect(complete(bash.stdout, ['toolgate', 'lo'])).toEqual(['lock']);
    expect(complete(bash.stdout, ['toolgate', 'audit', 't'])).toEqual(['tail']);
    expect(complete(bash.stdout, ['toolgate', 'audit', 'query', '--decision', 'd'])).toEqual([
      'deny',
    ]);
    expect(complete(bash.stdout, ['toolgate', 'audit', 'tail', '--fo']).sort()).toEqual([
      '--follow',
      '--format',
    ]);
    expect(complete(bash.stdout, ['toolgate', 'run', '--log-format', ''])).toEqual([
      'pretty',
      'json',
    ]);
    // A positional argument's choices, and init --from's client names beside the files.
    expect(complete(bash.stdout, ['toolgate', 'completion', ''])).toEqual([
      'bash',
      'zsh',
      '--help',
    ]);
    expect(complete(bash.stdout, ['toolgate', 'init', '--from', 'c'])).toEqual([
      'claude-desktop',
      'claude-code',
      'cursor',
      'client.json',
    ]);
    expect(complete(bash.stdout, ['toolgate', 'init', '--from', 'w'])).toEqual(['windsurf']);
    const zsh = await runToolgate(['completion', 'zsh']);
    expect(zsh.stdout.split('\n')[0]).toBe('#compdef toolgate');
    expect(zsh.stdout).toContain('bashcompinit');
  }, 300_000); // two CLI runs and five bash runs: slow on a loaded machine
});

const recorder = (dir: string) => ({
  command: process.execPath,
  args: [fixture('recording')],
  env: { RECORD_FILE: join(dir, 'received.jsonl') },
  sandbox: { writable: [dir] },
  tools: ['echo'],
});

describe('toolgate audit tail and query views', () => {
  const stops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const stop of stops) await stop();
  });

  it('prints a table (time, agent, server, tool, decision, reasons), JSON lines with --json, and follows', async () => {
    const dir = tempDir();
    const gw = await startGateway({ servers: { rec: recorder(dir) } }, dir);
    stops.push(() => gw.transport.close());
    await gw.client.callTool({ name: 'rec__echo', arguments: { message: 'one' } });
    await gw.client.callTool({ name: 'rec__nope', arguments: {} }).catch(() => undefined);

    const table = await runToolgate([
      'audit',
      'tail',
      '--format',
      'table',
      '--config',
      gw.configPath,
    ]);
    expect(table.code, table.stderr).toBe(0);
    const [header, ...rows] = table.stdout.trim().split('\n');
    expect(header).toMatch(/^TIME +AGENT +SERVER +TOOL +DECISION +REASONS$/);
    expect(
      rows.every((r) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}/.test(r)),
      table.stdout,
    ).toBe(true);
    expect(
      rows.some((r) => / rec +echo +forward/.test(r)),
      table.stdout,
    ).toBe(true);
    const query = await runToolgate([
      'audit',
      'query',
      '--json',
      '--decision',
      'deny',
      '--config',
      gw.configPath,
    ]);
    const denied = query.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { decision: string; reason: string });
    expect(denied.length, query.stderr).toBeGreaterThan(0);
    expect(denied.every((e) => e.decision === 'deny')).toBe(true);
    const row = rows.find((r) => / deny +[A-Z]+_[A-Z_]+/.test(r)) ?? '';
    expect(row, table.stdout).toContain(denied[0]?.reason ?? 'no reason');

    // Table rows: the header is printed once the follower knows where the log ends.
    const follower = spawn(process.execPath, [
      BIN,
      'audit',
      'tail',
      '-n',
      '0',
      '--follow',
      '--format',
      'table',
      '--config',
      gw.configPath,
    ]);
    stops.push(async () => void follower.kill());
    let out = '';
    follower.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    await eventually(() => out.startsWith('TIME'), 120_000);
    await gw.client.callTool({ name: 'rec__echo', arguments: { message: 'two' } });
    await eventually(() => / rec +echo +result/.test(out), 120_000);
    const followed = out.trim().split('\n').slice(1);
    expect(
      followed.filter((r) => / rec +echo /.test(r)).map((r) => /(forward|result)/.exec(r)?.[1]),
    ).toEqual(['forward', 'result']);
  }, 400_000);
});

/** `toolgate run ARGS` on a config of one echo server: its stderr once stdin is closed (after `waitFor` shows up, if given). */
const runGateway = async (args: string[], waitFor?: string): Promise<string> => {
  const dir = tempDir();
  const config = join(dir, 'toolgate.yaml');
  const echo = { command: process.execPath, args: [fixture('echo-server')], tools: ['echo'] };
  writeFileSync(
    config,
    JSON.stringify({ lock: { required: false }, audit: false, servers: { echo } }),
  );
  const child = spawn(process.execPath, [BIN, 'run', ...args, '--config', config]);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  if (waitFor !== undefined) await eventually(() => stderr.includes(waitFor), 120_000);
  child.stdin.end();
  await exited;
  return stderr;
};

describe('toolgate log formats', () => {
  it('JSON lines when stderr is not a terminal, pretty lines on request, fewer with --quiet/--log-level', async () => {
    const json = await runGateway([], 'gateway started');
    const started = json.split('\n').find((l) => l.includes('gateway started')) ?? '';
    expect(JSON.parse(started)).toMatchObject({ level: 'info', message: 'gateway started' });

    const pretty = await runGateway(['--log-format', 'pretty'], 'gateway started');
    const line = pretty.split('\n').find((l) => l.includes('gateway started')) ?? '';
    expect(line).toMatch(/INFO/);
    expect(line.startsWith('{')).toBe(false);

    const quiet = await runGateway(['--quiet']);
    expect(quiet).not.toMatch(/"level":"(debug|info|warn)"/);
    const warn = await runGateway(['--log-level', 'warn']);
    expect(warn).not.toMatch(/"level":"(debug|info)"/);
  }, 600_000); // four gateway runs
});
