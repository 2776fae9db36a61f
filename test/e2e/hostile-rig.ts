// The hostile fixture through the gateway, and the sandboxed gateway the escape tests share.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { eventually, fixture, startStdioGateway, tempDir, type Running } from './harness.js';

/** A hostile tool's JSON report. */
export const call = async (
  gw: Running,
  name: string,
  args: Record<string, unknown> = {},
): Promise<Record<string, unknown>> => {
  const result = await gw.client.callTool({ name, arguments: args });
  const text = (result.content as Array<{ text: string }>)[0]?.text ?? 'null';
  return JSON.parse(text) as Record<string, unknown>;
};
export const hostile = (extra: Record<string, unknown> = {}) => ({
  command: process.execPath,
  args: [fixture('hostile')],
  tools: ['*'],
  ...extra,
});
type Logged = Record<string, unknown> & { server?: string | undefined };
export const events = (gw: Running, kind: string): Logged[] =>
  gw.stderr.flatMap((line): Logged[] => {
    try {
      const parsed = JSON.parse(line) as { server?: string; event?: Record<string, unknown> };
      return parsed.event?.['kind'] === kind ? [{ ...parsed.event, server: parsed.server }] : [];
    } catch {
      return [];
    }
  });

/** A gateway over four hostile servers (a: confined with egress, spinner: CPU-limited, b, open: unsandboxed). */
export interface HostileRig {
  readonly gw: Running;
  /** The host HOME, with a planted .netrc. */
  readonly home: string;
  /** Writable for server a; `outside` is its sibling, not writable. */
  readonly allowed: string;
  readonly outside: string;
  /** Server b's secret, as a file. */
  readonly secretFile: string;
  /** The port of the host's web server (allowed.test resolves to it); `requests` is what it got. */
  readonly port: number;
  readonly requests: readonly string[];
  close(): Promise<void>;
}

export const startHostileRig = async (): Promise<HostileRig> => {
  const requests: string[] = [];
  const home = tempDir();
  writeFileSync(join(home, '.netrc'), 'machine example.com password hunter2-host-secret');
  const parent = tempDir();
  const allowed = join(parent, 'allowed');
  const outside = join(parent, 'outside');
  for (const dir of [allowed, outside]) {
    mkdirSync(dir);
    chmodSync(dir, 0o777);
  }
  const secretFile = join(tempDir(), 'b-token');
  writeFileSync(secretFile, 'b-secret-value-7f3a\n');
  const web = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.url === '/redirect') res.writeHead(302, { location: 'http://denied.test/' }).end();
    else res.end('hello from the allowed host');
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const port = (web.address() as AddressInfo).port;
  const gw = await startStdioGateway(
    {
      servers: {
        a: hostile({
          // 2048: Node 24's V8 alone reserves more than 1 GiB of address space at start.
          sandbox: { writable: [allowed], processes: 64, memoryMb: 2048 },
          secrets: { A_TOKEN: { env: 'GATEWAY_A_TOKEN' } },
          egress: {
            allow: ['allowed.test', 'private.test', 'metadata.test'],
            allowPrivate: ['allowed.test'],
            ports: [port],
            resolve: {
              'allowed.test': '127.0.0.1',
              'private.test': '10.1.2.3',
              'metadata.test': '169.254.169.254',
            },
          },
          limits: { callTimeoutMs: 30_000 },
        }),
        spinner: hostile({
          sandbox: { cpuSeconds: 3 },
          limits: { callTimeoutMs: 60_000 },
          restart: {
            maxRetries: 5,
            initialDelayMs: 100,
            maxDelayMs: 500,
            startTimeoutMs: 30_000,
          },
        }),
        b: hostile({ secrets: { B_TOKEN: { file: secretFile } } }),
        open: hostile({ sandbox: false }),
      },
    },
    { env: { HOME: home, GATEWAY_A_TOKEN: 'a-secret-value-91c2' } },
  );
  // Servers start in the background; on a loaded machine that takes a while. Say why if one never does.
  await eventually(
    () =>
      ['a', 'b', 'open', 'spinner'].every((id) =>
        events(gw, 'started').some((e) => e.server === id),
      ),
    60_000,
  ).catch(() => {
    throw new Error(`hostile servers did not all start:\n${gw.stderr.slice(-30).join('\n')}`);
  });
  return {
    gw,
    home,
    allowed,
    outside,
    secretFile,
    port,
    requests,
    close: async () => {
      await gw.close();
      web.close();
    },
  };
};
