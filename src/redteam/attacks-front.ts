import { spawn } from 'node:child_process';
import type { AttackResult } from './context.js';
import { postRaw } from '../front/raw-post.js';

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'toolgate-redteam', version: '1.0.0' },
  },
});

/** One initialize POST with the headers a page on an attacker's site would make a browser send. */
const post = (port: number, headers: Record<string, string>) => postRaw(port, INITIALIZE, headers);

const verdict = (
  id: string,
  title: string,
  answer: { status: number; body: string },
): AttackResult => {
  const code =
    /"code":"(HTTP_[A-Z_]+)"/.exec(answer.body)?.[1] ?? /HTTP_[A-Z_]+/.exec(answer.body)?.[0];
  return answer.status >= 200 && answer.status < 300
    ? { id, title, blocked: false, evidence: `HTTP ${answer.status}: the session was opened` }
    : { id, title, blocked: true, evidence: `HTTP ${answer.status}${code ? ` ${code}` : ''}` };
};

/**
 * DNS rebinding and cross-site requests against `toolgate serve` with the user's `http` settings: a
 * page on another site reaches the loopback front with its own Host (after rebinding) or Origin.
 */
export const attackFront = async (
  main: string,
  configPath: string,
  env: Record<string, string>,
): Promise<AttackResult[]> => {
  const child = spawn(
    process.execPath,
    [main, 'serve', '--no-lock', '--listen', '127.0.0.1:0', '--config', configPath],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error('toolgate serve did not listen')), 30_000);
      child.stderr.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        const found = /"gateway listening".*?"port":(\d+)/.exec(log);
        if (found) {
          clearTimeout(timer);
          resolve(Number(found[1]));
        }
      });
      child.once('exit', () => reject(new Error(`toolgate serve exited: ${log.slice(-500)}`)));
    });
    const rebinding = await post(port, { host: `attacker.example:${port}` });
    const origin = await post(port, {
      host: `127.0.0.1:${port}`,
      origin: 'http://attacker.example',
    });
    return [
      verdict('dns-rebinding', 'DNS rebinding: the HTTP front with a foreign Host', rebinding),
      verdict('cross-origin', 'Origin: the HTTP front called from a foreign site', origin),
    ];
  } finally {
    child.kill();
  }
};
