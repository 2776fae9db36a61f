import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/**
 * The floor any stdio gateway pays: a process that relays between its own stdio and a child's,
 * doing nothing else. `node dist/bench/relay.js [--json] <command> [args…]`.
 * - bytes (default): copies bytes, no parsing, no checks. The `stdio-relay` bench scenario uses it to
 *   show how much of toolgate's added latency is the extra process and its two pipe hops each way.
 * - `--json`: splits the stream into lines and sends each as `JSON.stringify(JSON.parse(line))`: the
 *   floor of a gateway that looks at each message, with no checks and no SDK (`stdio-json-relay`).
 */
const argv = process.argv.slice(2);
const json = argv[0] === '--json';
const [command, ...args] = json ? argv.slice(1) : argv;
if (!command) throw new Error('usage: relay [--json] <command> [args…]');
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });

/** Each newline-delimited JSON message of `from`, parsed and serialized again, onto `to`. */
const relayJson = (from: Readable, to: Writable) => {
  let rest = '';
  from.setEncoding('utf8');
  from.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    let out = '';
    for (const line of lines) if (line) out += JSON.stringify(JSON.parse(line)) + '\n';
    if (out) to.write(out);
  });
  from.on('end', () => to.end());
};

if (json) {
  relayJson(process.stdin, child.stdin);
  relayJson(child.stdout, process.stdout);
} else {
  process.stdin.pipe(child.stdin);
  child.stdout.pipe(process.stdout);
}
child.on('exit', (code) => process.exit(code ?? 1));
process.stdin.on('end', () => child.kill('SIGTERM'));
process.on('SIGTERM', () => child.kill('SIGTERM'));
