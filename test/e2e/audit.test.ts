import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, describe, expect, it } from 'vitest';
import { checkpointSize, verifyCheckpoint } from '../../src/audit/checkpoint.js';
import { loadVerifiers } from '../../src/audit/keys.js';
import { parseJsonl } from '../../src/audit/store-jsonl.js';
import { auditCli, startGateway } from '../faults/audit-gateway.js';
import { BIN, eventually, fixture, npmServer, startStdioGateway, tempDir } from './harness.js';

const cli = auditCli;

/** The stored log (the JSONL file beside the config): its entries, parsed, and its checkpoints. */
const logOf = (dir: string) => parseJsonl(readFileSync(join(dir, 'toolgate-audit.jsonl'), 'utf8'));

const entriesOf = (dir: string) =>
  logOf(dir).entries.map(
    (r) =>
      JSON.parse(r.body) as Record<string, unknown> & {
        seq: number;
        decision: string;
        call?: string;
        method?: string;
        target?: string;
        targetHash?: string;
        reason?: string;
        event?: Record<string, unknown>;
      },
  );

/** The recording fixture, sandboxed with its record file's folder writable: it records every message it receives (initialize included). */
const recorder = () => {
  const dir = tempDir();
  const record = join(dir, 'received.jsonl');
  const rec = {
    command: process.execPath,
    args: [fixture('recording')],
    env: { RECORD_FILE: record },
    sandbox: { writable: [dir] },
    tools: ['echo'],
  };
  return { record, rec };
};

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (error) {
    return error as { code: number; message: string; data?: { code?: string } };
  }
  throw new Error('expected a JSON-RPC error');
};

const everything = {
  command: process.execPath,
  args: [npmServer('server-everything'), 'stdio'],
  tools: ['echo', 'get-sum'],
};

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

describe('when OpenTelemetry export is configured', () => {
  let server: Server | undefined;
  afterAll(() => server?.close());

  it('[AUD-8] sends one span per call with the decision chain as events, and log records, to a loopback OTLP listener, without secrets', async () => {
    const received: { path: string; body: string }[] = [];
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const secret = 'sk-otel-secret-0123456789';
    const gw = await startGateway({
      servers: { everything: { ...everything, env: { API_KEY: secret } } },
      audit: {
        otel: {
          endpoint: `http://127.0.0.1:${port}`,
          headers: { authorization: 'Bearer collector-token-xyz' },
        },
      },
    });
    await gw.client.callTool({
      name: 'everything__echo',
      arguments: { message: `my ${secret} and private text` },
    });
    await errorOf(gw.client.callTool({ name: 'everything__get-env', arguments: {} }));
    await gw.client.close();
    await eventually(
      () =>
        received.some((r) => r.path === '/v1/traces' && r.body.includes('POLICY_TOOL_DENIED')) &&
        received.some((r) => r.path === '/v1/logs'),
      60_000,
    );

    const traces = received
      .filter((r) => r.path === '/v1/traces')
      .map(
        (r) =>
          JSON.parse(r.body) as {
            resourceSpans: {
              scopeSpans: {
                spans: {
                  name: string;
                  events?: { name: string }[];
                  attributes: { key: string }[];
                }[];
              }[];
            }[];
          },
      );
    const spans = traces.flatMap((t) =>
      t.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
    );
    const call = spans.find(
      (s) => s.name === 'tools/call everything' && s.events?.some((e) => e.name === 'result'),
    );
    // forward first (every defense passed), result last; a defense's own upstream request (e.g. an output
    // contract fetching tools/list) is part of the same call's chain and shows as another forward
    const names = call?.events?.map((e) => e.name) ?? [];
    expect([names[0], names.at(-1)]).toEqual(['forward', 'result']);
    expect(spans.some((s) => s.events?.map((e) => e.name).join() === 'deny')).toBe(true);
    const everything_ = received.map((r) => r.body).join('\n');
    expect(everything_).not.toContain(secret);
    expect(everything_).not.toContain('private text');
    expect(everything_).not.toContain('collector-token-xyz');
    expect(everything_).toContain('"service.name"');
  }, 180_000);
});

const isShutdown = (e: { event?: Record<string, unknown> }) => e.event?.['kind'] === 'shutdown';

describe('when a config has no audit section and a lock is in force', () => {
  it('[AUD-1] [AUD-5] the log is on by default with keys made beside the config (0600), entries carry the pinned hash, and a pin mismatch is recorded before the list reaches the client', async () => {
    const dir = tempDir();
    const configPath = join(dir, 'toolgate.yaml');
    const rug = {
      command: process.execPath,
      args: [fixture('rug-pull')],
      env: { RUG_MODE: 'swap-second-list' },
      tools: ['*'],
      sandbox: false,
    };
    writeFileSync(
      configPath,
      JSON.stringify({ content: { detect: { enabled: false } }, servers: { rug } }),
    );
    const locked = spawnSync(process.execPath, [BIN, 'lock', '--config', configPath], {
      encoding: 'utf8',
    });
    expect(locked.status, locked.stderr).toBe(0);
    const pinned = (
      JSON.parse(readFileSync(join(dir, 'toolgate.lock'), 'utf8')) as {
        servers: { rug: { tools: Record<string, { sha256: string }> } };
      }
    ).servers.rug.tools;

    const gw = await startStdioGateway({}, { lock: { dir } });
    await gw.client.listTools();
    await gw.client.callTool({ name: 'rug__send_message', arguments: { to: 'bob', text: 'hi' } });
    expect((await gw.client.listTools()).tools.map((t) => t.name)).not.toContain(
      'rug__send_message',
    ); // swapped: hidden
    expect(
      (
        await errorOf(
          gw.client.callTool({ name: 'rug__send_message', arguments: { to: 'bob', text: 'hi' } }),
        )
      ).data?.code,
    ).toBe('PIN_HASH_MISMATCH');
    await gw.close();
    await eventually(
      () => existsSync(join(dir, 'toolgate-audit.jsonl')) && entriesOf(dir).some(isShutdown),
      60_000,
    );

    expect(statSync(join(dir, 'toolgate-audit.key')).mode & 0o777).toBe(0o600);
    const pub = readFileSync(join(dir, 'toolgate-audit.pub'), 'utf8').trim();
    expect(gw.stderr.join('\n')).toContain(pub); // printed on first run, and kept beside the config

    const entries = entriesOf(dir);
    const sent = entries.filter((e) => e.target === 'send_message');
    expect(sent.map((e) => [e.decision, e.reason])).toEqual([
      ['forward', undefined],
      ['result', undefined],
      ['deny', 'PIN_HASH_MISMATCH'],
    ]);
    expect(sent.map((e) => e.targetHash)).toEqual(sent.map(() => pinned['send_message']?.sha256));
    // the pin verdict is an entry of the list call that met it, stored before that call's result
    const pin = entries.find(
      (e) =>
        e.decision === 'event' &&
        e.event?.['kind'] === 'pin' &&
        e.event['code'] === 'PIN_HASH_MISMATCH',
    );
    const listed = entries.find((e) => e.call === pin?.call && e.decision === 'result');
    expect(listed?.method).toBe('tools/list');
    expect(pin?.seq).toBeLessThan(listed?.seq ?? -1);
    expect(
      entries.filter(
        (e) => e.decision === 'event' && e.event?.['kind'] === 'pin' && e.call === undefined,
      ),
    ).toEqual([]); // not recorded twice
    expect(cli(configPath, 'verify').code).toBe(0);
  }, 180_000);

  it('[AUD-1] audit: false turns the log off, and every start says so loudly', async () => {
    const gw = await startStdioGateway({
      audit: false,
      servers: {
        rec: {
          command: process.execPath,
          args: [fixture('recording')],
          tools: ['echo'],
          sandbox: false,
        },
      },
    });
    await gw.client.listTools();
    await eventually(() => gw.stderr.some((l) => l.includes('AUDIT LOG OFF')), 30_000);
    await gw.close();
    expect(existsSync(join(gw.dir, 'toolgate-audit.jsonl'))).toBe(false);
    expect(existsSync(join(gw.dir, 'toolgate-audit.key'))).toBe(false);
  }, 120_000);
});

describe('when a witness URL is configured', () => {
  let server: Server | undefined;
  afterAll(() => server?.close());

  it('[AUD-4] [AUD-5] every signed checkpoint is posted to it, and a refused post is reported, not dropped', async () => {
    const notes: string[] = [];
    let posts = 0;
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        // the first post is refused: the gateway must say so
        if (++posts === 1) return void res.writeHead(503).end();
        notes.push(body);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const gw = await startGateway({
      servers: { everything },
      audit: {
        checkpoint: { everyEntries: 2 },
        witnessUrl: `http://127.0.0.1:${port}/add-checkpoint`,
      },
    });
    for (const message of ['one', 'two', 'three'])
      await gw.client.callTool({ name: 'everything__echo', arguments: { message } });
    await gw.client.close();
    await eventually(() => entriesOf(gw.dir).some(isShutdown), 60_000);
    await eventually(() => checkpointSize(notes.at(-1) ?? '') === entriesOf(gw.dir).length, 30_000);

    expect(gw.stderr.join('')).toMatch(
      /audit checkpoint at size \d+ not accepted by the witness http:\/\/127\.0\.0\.1:\d+\/add-checkpoint: HTTP 503/,
    );
    const verifiers = loadVerifiers(join(gw.dir, 'toolgate-audit.pub'));
    expect(notes.length).toBeGreaterThan(1);
    for (const note of notes)
      expect(verifyCheckpoint(note, verifiers, 'toolgate.local/audit')).toMatchObject({ ok: true });
  }, 180_000);
});

describe('when a sandboxed server reaches out through its egress proxy', () => {
  let web: Server | undefined;
  afterAll(() => web?.close());

  it('[AUD-1] every egress decision is an audit entry, stored before the call that caused it is answered', async () => {
    web = createServer((_req, res) => res.end('hello from the allowed host'));
    await new Promise<void>((r) => web?.listen(0, '127.0.0.1', r));
    const { port } = web.address() as AddressInfo;
    const gw = await startGateway({
      servers: {
        a: {
          command: process.execPath,
          args: [fixture('hostile')],
          tools: ['*'],
          // 2048: Node 24's V8 alone reserves more than 1 GiB of address space at start.
          sandbox: { memoryMb: 2048 },
          egress: {
            allow: ['allowed.test'],
            allowPrivate: ['allowed.test'],
            ports: [port],
            resolve: { 'allowed.test': '127.0.0.1' },
          },
        },
      },
    });
    const fetched = async (url: string) =>
      JSON.parse(
        (
          (await gw.client.callTool({ name: 'a__fetch', arguments: { url } })).content as {
            text: string;
          }[]
        )[0]?.text ?? 'null',
      ) as { value?: { status?: number } };
    expect((await fetched(`http://allowed.test:${port}/`)).value?.status).toBe(200);
    expect((await fetched(`http://example.com:${port}/`)).value?.status).toBe(403);
    await gw.client.close();
    await eventually(() => entriesOf(gw.dir).some(isShutdown), 60_000);

    const entries = entriesOf(gw.dir);
    const egress = (host: string) =>
      entries.find(
        (e) =>
          (e.event?.['event'] as { kind?: string; host?: string } | undefined)?.kind === 'egress' &&
          (e.event?.['event'] as { host?: string }).host === host,
      );
    const results = entries.filter((e) => e.target === 'fetch' && e.decision === 'result');
    expect(egress('allowed.test')?.event?.['event']).toMatchObject({
      decision: 'allow',
      address: '127.0.0.1',
    });
    expect(egress('example.com')?.event?.['event']).toMatchObject({
      decision: 'deny',
      code: 'EGRESS_HOST_DENIED',
    });
    expect(egress('allowed.test')?.seq).toBeLessThan(results[0]?.seq ?? -1);
    expect(egress('example.com')?.seq).toBeLessThan(results[1]?.seq ?? -1);
  }, 180_000);
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
    expect(execFileSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' })).toContain(
      'toolgate audit verify',
    );
  });
});
