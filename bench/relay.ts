import { spawn } from 'node:child_process';

/**
 * The floor any stdio gateway pays: a process that relays bytes between its own stdio and a child's,
 * doing nothing else (no parsing, no checks). `node dist/bench/relay.js <command> [args…]`.
 * Used by the `stdio-relay` bench scenario to show how much of toolgate's added latency is the
 * extra process and its two pipe hops each way.
 */
const [command, ...args] = process.argv.slice(2);
if (!command) throw new Error('usage: relay <command> [args…]');
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
process.stdin.pipe(child.stdin);
child.stdout.pipe(process.stdout);
child.on('exit', (code) => process.exit(code ?? 1));
process.stdin.on('end', () => child.kill('SIGTERM'));
process.on('SIGTERM', () => child.kill('SIGTERM'));
