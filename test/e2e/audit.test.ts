import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, describe, expect, it } from 'vitest';
import { checkpointSize } from '../../src/audit/checkpoint.js';
import { auditCli as cli, startGateway } from '../faults/audit-gateway.js';
import { entriesOf, errorOf, everything, logOf, recorder } from './audit-log.js';
import { BIN, eventually, tempDir } from './harness.js';

// OpenTelemetry and witness export: audit-export.test.ts; the default log and egress entries:
// audit-default.test.ts, audit-egress.test.ts.

describe('when the gateway runs with an audit log', () => {
  const gateways: { transport: StdioClientTransport }[] = [];
  afterAll(async () => {
    for (const g of gateways) await g.transport.close().catch(() => undefined);
  });

  it('[AUD-1] records every call before forwarding it and its outcome before answering; the log verifies and proves', async () => {
    const gw = await startGateway({
      servers: { everything },
      audit: { checkpoint: { everyEntries: 5 }, witnessFile: 'witness.jsonl' },
    });
    gateways.push(gw);
    await gw.client.listTools();
    await gw.client.callTool({ name: 'everything__echo', arguments: { message: 'hello audit' } });
    const denied = await errorOf(
      gw.client.callTool({ name: 'everything__get-env', arguments: {} }),
    );
    expect(denied.data?.code).toBe('POLICY_TOOL_DENIED');
    await gw.client.close();
    await eventually(
      () =>
        entriesOf(gw.dir).some(
          (e) => (e.event as { kind?: string } | undefined)?.kind === 'shutdown',
        ),
      60_000,
    );

    const entries = entriesOf(gw.dir);
    const echo = entries.filter((e) => e.target === 'echo');
    expect(echo.map((e) => e.decision)).toEqual(['forward', 'result']);
    expect(echo[0]?.call).toBe(echo[1]?.call);
    expect(echo[0]).toMatchObject({
      server: 'everything',
      method: 'tools/call',
      principal: expect.any(String),
      policy: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(JSON.stringify(entries)).not.toContain('hello audit'); // digests only, by default
    expect(
      entries.filter((e) => e.target === 'get-env').map((e) => [e.decision, e.reason]),
    ).toEqual([['deny', 'POLICY_TOOL_DENIED']]);
    expect(
      entries.some((e) => (e.event as { kind?: string } | undefined)?.kind === 'config-load'),
    ).toBe(true);
    expect(entries.some((e) => e.method === 'tools/list' && e.decision === 'result')).toBe(true);

    // the shutdown checkpoint covers every entry
    await eventually(() => {
      const notes = logOf(gw.dir).checkpoints;
      return checkpointSize(notes.at(-1) ?? '') === entriesOf(gw.dir).length;
    }, 30_000);
    const verify = cli(gw.configPath, 'verify');
    expect(verify.code).toBe(0);
    expect(verify.out).toMatch(
      new RegExp(`^ok: ${entriesOf(gw.dir).length} entries, \\d+ checkpoints`),
    );

    // "was this value sent?": the investigator's query with the HMAC key finds the call
    const query = cli(
      gw.configPath,
      'query',
      '--tool',
      'echo',
      '--value',
      JSON.stringify({ message: 'hello audit' }),
    );
    expect(
      query.out
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { decision: string }).decision),
    ).toEqual(['forward']);
    expect(cli(gw.configPath, 'query', '--decision', 'deny').out).toContain('POLICY_TOOL_DENIED');
    expect(cli(gw.configPath, 'tail', '-n', '2').out.trim().split('\n')).toHaveLength(2);

    const proof = JSON.parse(cli(gw.configPath, 'prove', String(echo[0]?.seq)).out) as {
      verified: boolean;
      proof: string[];
      treeSize: number;
    };
    expect(proof.verified).toBe(true);
    expect(proof.proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(proof.treeSize)));

    const exported = join(gw.dir, 'export.jsonl');
    writeFileSync(exported, cli(gw.configPath, 'export', '--format', 'jsonl').out);
    expect(cli(gw.configPath, 'verify', '--file', exported).code).toBe(0);

    // tamper with the stored log: verify names the entry
    const logPath = join(gw.dir, 'toolgate-audit.jsonl');
    const lines = readFileSync(logPath, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes(`"seq":${echo[1]?.seq},`));
    lines[at] = (lines[at] as string).replace('"result"', '"deny"');
    writeFileSync(logPath, lines.join('\n'));
    const tampered = cli(gw.configPath, 'verify');
    expect(tampered.code).toBe(1);
    expect(tampered.out).toContain(`FAILED at entry ${echo[1]?.seq}`);
  }, 300_000); // a dozen CLI processes: slow when the machine is loaded

  it('[AUD-11] a store that cannot be opened stops the start with one line: the code, the path, why, and what to do', () => {
    const dir = tempDir();
    const configPath = join(dir, 'toolgate.yaml');
    // sysfs: not writable, not even by root
    writeFileSync(
      configPath,
      JSON.stringify({
        lock: { required: false },
        servers: { everything },
        audit: { path: '/sys/toolgate-audit.jsonl' },
      }),
    );
    const r = spawnSync(process.execPath, [BIN, 'run', '--config', configPath], {
      encoding: 'utf8',
      input: '',
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(
      /^toolgate: AUDIT_STORE_INVALID: cannot open the audit log \/sys\/toolgate-audit\.jsonl \(.+\); the gateway does not start without it: .*audit\.path/,
    );
    expect(r.stderr).not.toContain('gateway started');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('[AUD-2] a log file the disk stops taking while calls are served: the call whose entry was still pending is refused, not forwarded, and the gateway serves again once the disk does (needs root: chattr +i)', async () => {
    const { record, rec } = recorder();
    const gw = await startGateway({
      servers: { rec },
    });
    gateways.push(gw);
    const logFile = join(gw.dir, 'toolgate-audit.jsonl');
    const calls = () =>
      existsSync(record)
        ? readFileSync(record, 'utf8')
            .split('\n')
            .filter((l) => l.includes('tools/call')).length
        : 0;
    await gw.client.callTool({ name: 'rec__echo', arguments: { text: 'logged' } });
    expect(calls()).toBe(1);
    // Every write to the log fails from here (EPERM): the next call's forward entry is appended, pending in
    // the group commit; the write before its request leaves fails, so the request never leaves.
    execFileSync('chattr', ['+i', logFile]);
    try {
      const error = await errorOf(
        gw.client.callTool({ name: 'rec__echo', arguments: { text: 'unlogged?' } }),
      );
      expect(error).toMatchObject({ code: -32006, data: { code: 'AUDIT_APPEND_FAILED' } });
      expect(error.message).not.toContain(logFile); // the path and the OS's words are the operator's
      await eventually(() => /EPERM|not permitted/.test(gw.stderr.join('')));
      const again = await errorOf(
        gw.client.callTool({ name: 'rec__echo', arguments: { text: 'still unlogged?' } }),
      );
      expect(again).toMatchObject({ data: { code: 'AUDIT_APPEND_FAILED' } });
      expect(calls()).toBe(1);
    } finally {
      execFileSync('chattr', ['-i', logFile]);
    }
    await gw.client.callTool({ name: 'rec__echo', arguments: { text: 'logged again' } });
    expect(calls()).toBe(2);
    await gw.client.close();
    await eventually(() => cli(gw.configPath, 'verify').code === 0);
    const decisions = entriesOf(gw.dir)
      .filter((e) => e.server === 'rec' && e.method === 'tools/call')
      .map((e) => e.decision);
    // The refused call's forward entry was pending and is written once the disk takes it (it records a
    // request that then could not leave); the call refused at its append left nothing.
    expect(decisions).toEqual(['forward', 'result', 'forward', 'forward', 'result']);
  });

  it('[AUD-2] a full disk (every write fails with ENOSPC) refuses even the handshake with AUDIT_APPEND_FAILED: nothing leaves before its entries are written', async () => {
    const { record, rec } = recorder();
    const dir = tempDir();
    const configPath = join(dir, 'toolgate.yaml');
    writeFileSync(
      configPath,
      JSON.stringify({ lock: { required: false }, servers: { rec }, audit: { path: '/dev/full' } }),
    );
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'run', '--config', configPath],
      stderr: 'pipe',
      env: { PATH: process.env['PATH'] ?? '' },
    });
    gateways.push({ transport });
    const stderr: string[] = [];
    transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    // The config-load entry cannot be written, so neither the answer to initialize nor anything to the server leaves.
    const error = await errorOf(
      new Client({ name: 'toolgate-audit-test', version: '1.0.0' }).connect(transport),
    );
    expect(error).toMatchObject({ code: -32006, data: { code: 'AUDIT_APPEND_FAILED' } });
    expect(error.message).not.toContain('/dev/full');
    await eventually(() => /\/dev\/full cannot record: .*ENOSPC/.test(stderr.join('')));
    expect(existsSync(record) && readFileSync(record, 'utf8')).toBeFalsy();
  });
});

// The audit CLI must refuse a config whose log is off or missing rather than print nothing.
describe('when the audit CLI has nothing to read', () => {
  it('[AUD-1] refuses a config with audit: false, and one whose log does not exist yet, with a coded error', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'off.yaml'), JSON.stringify({ audit: false, servers: { everything } }));
    writeFileSync(join(dir, 'toolgate.yaml'), JSON.stringify({ servers: { everything } }));
    for (const config of ['off.yaml', 'toolgate.yaml']) {
      const r = spawnSync(
        process.execPath,
        [BIN, 'audit', 'verify', '--config', join(dir, config)],
        { encoding: 'utf8' },
      );
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('AUDIT_STORE_INVALID');
    }
    expect(execFileSync(process.execPath, [BIN, 'audit', '--help'], { encoding: 'utf8' })).toMatch(
      /^ {2}verify\b/m,
    );
  });
});
