/**
 * Runs inside the sandbox's network namespace, whose only interface is loopback: listens on
 * 127.0.0.1:PORT and pipes every connection to toolgate's egress proxy over the Unix socket bound
 * into the sandbox, then runs the server (argv after `--`) with inherited stdio and mirrors its exit.
 * Kept free of imports beyond node: it is bound into the sandbox as a lone file.
 */
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

const [port, socketPath, separator, command, ...args] = process.argv.slice(2);
if (!port || !socketPath || separator !== '--' || !command) {
  process.stderr.write('usage: bridge PORT SOCKET -- COMMAND [ARGS...]\n');
  process.exit(2);
}
const server = createServer((client) => {
  const upstream = connect(socketPath);
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.listen(Number(port), '127.0.0.1', () => {
  const child = spawn(command, args, { stdio: 'inherit' });
  child.on('error', (error) => {
    process.stderr.write(`bridge: cannot start ${command}: ${error.message}\n`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => process.exit(code ?? 128 + signalNumber(signal)));
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => child.kill(sig));
});
server.unref();

function signalNumber(signal: NodeJS.Signals | null): number {
  const table: Record<string, number> = {
    SIGKILL: 9,
    SIGTERM: 15,
    SIGXCPU: 24,
    SIGXFSZ: 25,
    SIGSEGV: 11,
    SIGABRT: 6,
  };
  return signal ? (table[signal] ?? 1) : 1;
}
