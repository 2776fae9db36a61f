import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { createKeys, loadKeys } from '../src/audit/keys.js';
import { AuditLog } from '../src/audit/log.js';
import { writePending } from '../src/audit/group-commit.js';
import { createRedactor } from '../src/audit/redact.js';
import { openJsonlStore } from '../src/audit/store-jsonl.js';

/**
 * The floor any stdio gateway pays: a process that relays between its own stdio and a child's,
 * doing nothing else. `node dist/bench/relay.js [--json | --audit DIR] <command> [args…]`.
 * - bytes (default): copies bytes, no parsing, no checks. The `stdio-relay` bench scenario uses it to
 *   show how much of toolgate's added latency is the extra process and its two pipe hops each way.
 * - `--json`: splits the stream into lines and sends each as `JSON.stringify(JSON.parse(line))`: the
 *   floor of a gateway that looks at each message, with no checks and no SDK (`stdio-json-relay`).
 * - `--audit DIR`: `--json`, plus toolgate's own audit log (JSONL store in DIR, default durability):
 *   a request's `forward` entry is stored before it is sent on, its `result` entry before the answer
 *   is, as the gateway's audit pair does. The floor of a gateway that keeps toolgate's log and does
 *   nothing else (`stdio-audit-relay`).
 */
const argv = process.argv.slice(2);
const mode = argv[0] === '--json' ? 'json' : argv[0] === '--audit' ? 'audit' : 'bytes';
const [command, ...args] =
  mode === 'json' ? argv.slice(1) : mode === 'audit' ? argv.slice(2) : argv;
if (!command) throw new Error('usage: relay [--json | --audit DIR] <command> [args…]');
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });

type Message = {
  id?: string | number;
  method?: string;
  params?: { name?: unknown; arguments?: unknown };
  result?: unknown;
};

/** Each newline-delimited JSON message of `from`, parsed, seen by `look`, serialized again, onto `to`. */
const relayJson = (from: Readable, to: Writable, look?: (message: Message) => void) => {
  let rest = '';
  from.setEncoding('utf8');
  from.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    let out = '';
    for (const line of lines)
      if (line) {
        const message = JSON.parse(line) as Message;
        look?.(message);
        out += JSON.stringify(message) + '\n';
      }
    if (!out) return;
    const unlogged = look && writePending(); // the audit's group commit: entries first, then the messages they record
    if (unlogged) throw unlogged;
    to.write(out);
  });
  from.on('end', () => to.end());
};

/** The audit pair of the gateway, reduced to its log work: one entry before the forward, one before the answer. */
const auditing = (dir: string) => {
  const keyFile = join(dir, 'relay-audit.key');
  createKeys(keyFile, join(dir, 'relay-audit.pub'), 'toolgate.local/audit');
  const keys = loadKeys(keyFile);
  const log = new AuditLog(openJsonlStore(join(dir, 'relay-audit.jsonl'), 'normal'), {
    signer: keys.signer,
    origin: 'toolgate.local/audit',
    everyEntries: 1000,
    everySeconds: 60,
  });
  const redactor = createRedactor(keys.hmacKey, []);
  const policy = randomBytes(32).toString('hex');
  const boot = randomBytes(4).toString('hex');
  let counter = 0;
  const calls = new Map<
    string | number,
    { call: string; method: string; target: string | undefined; started: bigint }
  >();
  const fields = (
    decision: 'forward' | 'result',
    c: { call: string; method: string; target: string | undefined },
  ) => ({
    decision,
    call: c.call,
    direction: 'to-server' as const,
    kind: 'request' as const,
    principal: 'local',
    server: 'echo',
    method: c.method,
    policy,
    ...(c.target !== undefined && { target: c.target }),
  });
  return {
    request: (m: Message) => {
      if (m.id === undefined || m.method === undefined) return;
      const c = {
        call: `${boot}-${++counter}`,
        method: m.method,
        target: typeof m.params?.name === 'string' ? m.params.name : undefined,
        started: process.hrtime.bigint(),
      };
      calls.set(m.id, c);
      void log.append({
        ...fields('forward', c),
        args: redactor.record(m.method === 'tools/call' ? m.params?.arguments : m.params, false),
      });
    },
    response: (m: Message) => {
      const c = m.id === undefined || m.method !== undefined ? undefined : calls.get(m.id);
      if (!c) return;
      calls.delete(m.id as string | number);
      const latencyUs = Number((process.hrtime.bigint() - c.started) / 1000n);
      void log.append({
        ...fields('result', c),
        result: redactor.record(m.result, false),
        latencyUs,
      });
    },
    close: () => log.close(),
  };
};

if (mode === 'bytes') {
  process.stdin.pipe(child.stdin);
  child.stdout.pipe(process.stdout);
} else {
  const audit = mode === 'audit' ? auditing(argv[1] as string) : undefined;
  relayJson(process.stdin, child.stdin, audit?.request);
  relayJson(child.stdout, process.stdout, audit?.response);
  child.on('exit', () => audit?.close());
}
child.on('exit', (code) => process.exit(code ?? 1));
process.stdin.on('end', () => child.kill('SIGTERM'));
process.on('SIGTERM', () => child.kill('SIGTERM'));
