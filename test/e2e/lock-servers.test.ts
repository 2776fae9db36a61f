import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  errorOf,
  fixture,
  runToolgate,
  startStdioGateway,
  tempDir,
  type Running,
} from './harness.js';

/** Runs the toolgate CLI; resolves with its exit code and output (never rejects). */
const toolgate = (args: string[], env: Record<string, string> = {}) => runToolgate(args, { env });

/** A good server (the rug-pull fixture on its benign first list); `version` is its serverInfo.version. */
const good = (version = '1.0.0') => ({
  command: process.execPath,
  args: [fixture('rug-pull')],
  env: { RUG_MODE: 'swap-second-list', RUG_VERSION: version },
  tools: ['*'],
  prompts: ['*'],
  sandbox: false,
});

/** A server that never answers initialize (see the fixture for its variables). */
const failing = (env: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  command: process.execPath,
  args: [fixture('fails-at-start')],
  env,
  tools: ['*'],
  sandbox: false,
  ...extra,
});

interface Rig {
  readonly dir: string;
  readonly config: string;
  readonly lockPath: string;
  configure(servers: Record<string, unknown>): void;
  lockText(): string;
  lockedServers(): string[];
}

const rig = (servers: Record<string, unknown>): Rig => {
  const dir = tempDir();
  const config = join(dir, 'toolgate.yaml');
  const lockPath = join(dir, 'toolgate.lock');
  const configure = (s: Record<string, unknown>) =>
    writeFileSync(config, JSON.stringify({ servers: s }));
  configure(servers);
  const lockText = () => readFileSync(lockPath, 'utf8');
  return {
    dir,
    config,
    lockPath,
    configure,
    lockText,
    lockedServers: () => Object.keys((JSON.parse(lockText()) as { servers: object }).servers),
  };
};

/** The text of one server's entry in a written lock (keys are sorted, two-space indent). */
const entryText = (text: string, id: string): string => {
  const start = text.indexOf(`\n    "${id}": {`);
  const end = text.indexOf('\n    }', start);
  if (start < 0 || end < 0) throw new Error(`no entry "${id}" in the lock`);
  return text.slice(start, end + 6);
};

let gw: Running | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('toolgate lock, server by server', () => {
  it('[LOCK-1] writes the good server when another exits at once, exits 1 and shows the bad one with its stderr tail', async () => {
    const r = rig({
      good: good(),
      bad: failing({
        FAIL_STDERR: 'Error: cannot open the database\n    at start (server.js:12:3)',
        FAIL_EXIT: '7',
      }),
    });
    const result = await toolgate(['lock', '--config', r.config]);
    expect(result.code).toBe(1);
    expect(r.lockedServers()).toEqual(['good']);
    expect(result.stderr).toContain('1 of 2 servers locked:');
    expect(result.stderr).toMatch(/good +ok +3 tools, 1 prompts/);
    expect(result.stderr).toMatch(
      /bad +FAILED +LOCK_SERVER_EXITED; not in the lock: run and serve will not start it/,
    );
    expect(result.stderr).toContain(
      'bad: LOCK_SERVER_EXITED: server "bad" exited (code 7) before it answered initialize',
    );
    expect(result.stderr).toContain(
      '  stderr (last 2 lines):\ntoolgate:     | Error: cannot open the database\ntoolgate:     |     at start (server.js:12:3)',
    );
    expect(result.stderr).toContain(`wrote ${r.lockPath} (1 servers)`);
  });

  it('[LOCK-1] a remote server that refuses the connection is reported with the reason, beside a good one', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const r = rig({ good: good(), remote: { url: `http://127.0.0.1:${port}/mcp`, tools: ['*'] } });
    const result = await toolgate(['lock', '--config', r.config]);
    expect(result.code).toBe(1);
    expect(r.lockedServers()).toEqual(['good']);
    expect(result.stderr).toMatch(/remote +FAILED +LOCK_SERVER_FAILED/);
    expect(result.stderr).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('[LOCK-2] a server that fails keeps its previous pins, byte for byte', async () => {
    const r = rig({ good: good(), flaky: good() });
    expect((await toolgate(['lock', '--config', r.config])).code).toBe(0);
    const before = r.lockText();
    r.configure({ good: good('2.0.0'), flaky: failing({}) });
    const result = await toolgate(['lock', '--config', r.config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/flaky +FAILED +LOCK_SERVER_EXITED; its previous pins are kept/);
    expect(result.stderr).toContain(
      'hint: the server exited without a word on stderr: run its command by hand to see why',
    );
    const after = r.lockText();
    expect(entryText(after, 'flaky')).toBe(entryText(before, 'flaky'));
    expect(entryText(after, 'good')).not.toBe(entryText(before, 'good')); // re-captured: serverInfo 2.0.0
    expect(after).toContain('"version": "2.0.0"');
    // approve SERVER reports a failure the same way, and leaves the lock as it was.
    const approve = await toolgate(['approve', '--config', r.config, 'flaky']);
    expect(approve.code).toBe(1);
    expect(approve.stderr).toContain(
      'flaky: LOCK_SERVER_EXITED: server "flaky" exited (code 3) before it answered initialize',
    );
    expect(approve.stderr).toContain('hint: the server exited without a word on stderr');
    expect(r.lockText()).toBe(after);
  }, 180_000); // several CLI runs, each starting the servers

  it('[LOCK-2] when every server fails, nothing is written', async () => {
    const r = rig({ bad: failing({}) });
    const result = await toolgate(['lock', '--config', r.config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('nothing written: no server was locked');
    expect(existsSync(r.lockPath)).toBe(false);
  });

  it("[LOCK-3] lock a captures only a; b's entry stays byte for byte although b changed", async () => {
    const r = rig({ a: good(), b: good() });
    expect((await toolgate(['lock', '--config', r.config])).code).toBe(0);
    const before = r.lockText();
    r.configure({ a: good('2.0.0'), b: good('3.0.0') });
    const result = await toolgate(['lock', '--config', r.config, 'a']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('1 of 1 servers locked:');
    expect(result.stderr).not.toContain('b: verifying package'); // b was not started
    const after = r.lockText();
    expect(entryText(after, 'b')).toBe(entryText(before, 'b'));
    expect(entryText(after, 'a')).toContain('"version": "2.0.0"');
    expect(after).not.toContain('3.0.0');
    // The full lock does take b's change.
    expect((await toolgate(['lock', '--config', r.config])).code).toBe(0);
    expect(entryText(r.lockText(), 'b')).toContain('"version": "3.0.0"');
  }, 180_000); // several CLI runs, each starting the servers

  it('[LOCK-3] an unknown server name is a usage error naming the known ones: exit 2, nothing started or written', async () => {
    const r = rig({ a: good(), b: good() });
    const refused = await toolgate(['lock', '--config', r.config, 'a', 'nope']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `LOCK_SERVER_MISSING: no server "nope" in ${r.config}; its servers: a, b`,
    );
    expect(refused.stderr).not.toContain('verifying package');
    expect(existsSync(r.lockPath)).toBe(false);
    expect((await toolgate(['lock', '--config', r.config])).code).toBe(0);
    const text = r.lockText();
    expect((await toolgate(['lock', '--config', r.config, 'nope'])).code).toBe(2);
    expect(r.lockText()).toBe(text);
  }, 180_000); // several CLI runs, each starting the servers

  it('[LOCK-4] a full lock drops a server removed from the config; a partial lock keeps it and says so', async () => {
    const r = rig({ a: good(), b: good() });
    expect((await toolgate(['lock', '--config', r.config])).code).toBe(0);
    r.configure({ a: good() });
    const partial = await toolgate(['lock', '--config', r.config, 'a']);
    expect(partial.code).toBe(0);
    expect(partial.stderr).toMatch(
      /b +stale +no longer in the config, still in the lock \(a full toolgate lock removes it\)/,
    );
    expect(r.lockedServers()).toEqual(['a', 'b']);
    const full = await toolgate(['lock', '--config', r.config]);
    expect(full.code).toBe(0);
    expect(full.stderr).toMatch(/b +dropped +no longer in the config: removed from the lock/);
    expect(r.lockedServers()).toEqual(['a']);
  }, 180_000); // several CLI runs, each starting the servers

  it("[LOCK-5] the stderr tail has the server's secrets redacted and terminal escapes neutralized", async () => {
    const token = 'ghp_lockTestToken0123456789abcdef';
    const r = rig({
      leaky: failing(
        { FAIL_ECHO: 'TOKEN', FAIL_STDERR: '\u001b]0;owned\u0007\u001b[2Jcleared' },
        { secrets: { TOKEN: { env: 'LOCK_TEST_TOKEN' } } },
      ),
    });
    const result = await toolgate(['lock', '--config', r.config], { LOCK_TEST_TOKEN: token });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('| using token [REDACTED:TOKEN]');
    expect(result.stderr).not.toContain(token);
    expect(result.stderr).toContain('| \ufffd]0;owned\ufffd\ufffd[2Jcleared');
    expect(result.stderr).not.toContain('\u001b');
  });

  it('[LOCK-6] a sandboxed server writing outside its binds gets the sandbox.writable hint; a hung one the timeout', async () => {
    const r = rig({
      writer: failing({ FAIL_WRITE: '/usr/toolgate-lock-test' }, { sandbox: {} }),
      hung: failing(
        { FAIL_MODE: 'hang', FAIL_STDERR: 'starting up' },
        { restart: { startTimeoutMs: 500 } },
      ),
    });
    const result = await toolgate(['lock', '--config', r.config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/writer +FAILED +LOCK_SERVER_EXITED/);
    expect(result.stderr).toContain(
      "| Error: EROFS: read-only file system, open '/usr/toolgate-lock-test'",
    );
    expect(result.stderr).toContain(
      'hint: the server writes to /usr/toolgate-lock-test, which is read-only in its sandbox: add it (or its folder) to sandbox.writable',
    );
    expect(result.stderr).toMatch(/hung +FAILED +LOCK_SERVER_TIMEOUT/);
    expect(result.stderr).toContain('| starting up');
    expect(result.stderr).toContain(
      'hint: the server did not answer initialize within 500 ms: if it needs longer to start, raise restart.startTimeoutMs',
    );
  });

  it('[LOCK-7] run starts without the server the lock lacks: its tools are not listed, calls to it are refused', async () => {
    const r = rig({ good: good(), bad: failing({}) });
    expect((await toolgate(['lock', '--config', r.config])).code).toBe(1);
    gw = await startStdioGateway({}, { lock: { dir: r.dir } });
    const names = (await gw.client.listTools()).tools.map((t) => t.name);
    expect(names.length, gw.stderr.join('\n')).toBeGreaterThan(0);
    expect(names.every((name) => name.startsWith('good__'))).toBe(true);
    const error = await errorOf(gw.client.callTool({ name: 'bad__anything', arguments: {} }));
    expect(error.data?.code).toBe('ROUTE_UNKNOWN_SERVER');
    expect(
      gw.stderr.some(
        (line) =>
          line.includes('"code":"LOCK_SERVER_MISSING"') &&
          line.includes('server \\"bad\\" is not in the lock: not started'),
      ),
    ).toBe(true);
  });
});
