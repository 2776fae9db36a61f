import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import {
  echoHttp,
  echoStdio,
  gatewayNodeArgs,
  httpTarget,
  mcpProxyBin,
  relayBin,
  serveArgs,
  startHttpEcho,
  stdioTarget,
  toolgateBin,
  writeConfig,
  type Scenario,
} from './clients.js';

/**
 * Every scenario `npm run bench` runs, in the order the report lists them: stdio direct, through
 * `toolgate run` and through the relays that show what any stdio gateway pays; HTTP direct, through
 * `toolgate serve` (both client eras) and through `mcp-proxy`. The processes and clients are in
 * `clients.ts`, the /proc readings in `proc-stats.ts`.
 */
export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'stdio-direct',
    label: 'stdio: client → echo (direct)',
    start: (paths) => stdioTarget([echoStdio(paths)], 'echo'),
  },
  {
    id: 'stdio-toolgate',
    label: 'stdio: client → toolgate run → echo (stdio)',
    baseline: 'stdio-direct',
    start: (paths) => {
      const config = writeConfig(paths, 'stdio', {
        command: process.execPath,
        args: [echoStdio(paths)],
      });
      return stdioTarget(
        [...gatewayNodeArgs(), toolgateBin(paths), 'run', '--no-lock', '--config', config],
        'bench__echo',
      );
    },
  },
  {
    id: 'stdio-toolgate-noaudit',
    label: 'stdio: client → toolgate run (audit: false) → echo (stdio)',
    baseline: 'stdio-direct',
    start: (paths) => {
      const config = writeConfig(
        paths,
        'stdio-noaudit',
        { command: process.execPath, args: [echoStdio(paths)] },
        { audit: false },
      );
      return stdioTarget(
        [...gatewayNodeArgs(), toolgateBin(paths), 'run', '--no-lock', '--config', config],
        'bench__echo',
      );
    },
  },
  {
    id: 'stdio-relay',
    label: 'stdio: client → byte relay (no checks) → echo (stdio)',
    baseline: 'stdio-direct',
    start: (paths) =>
      stdioTarget(
        [...gatewayNodeArgs(), relayBin(paths), process.execPath, echoStdio(paths)],
        'echo',
      ),
  },
  {
    id: 'stdio-json-relay',
    label: 'stdio: client → JSON relay (parse and serialize, no checks) → echo (stdio)',
    baseline: 'stdio-direct',
    start: (paths) =>
      stdioTarget(
        [...gatewayNodeArgs(), relayBin(paths), '--json', process.execPath, echoStdio(paths)],
        'echo',
      ),
  },
  {
    id: 'stdio-audit-relay',
    label: 'stdio: client → JSON relay + audit log (no checks) → echo (stdio)',
    baseline: 'stdio-direct',
    start: (paths) =>
      stdioTarget(
        [
          ...gatewayNodeArgs(),
          relayBin(paths),
          '--audit',
          mkdtempSync(join(paths.scratch, 'audit-relay-')),
          process.execPath,
          echoStdio(paths),
        ],
        'echo',
      ),
  },
  {
    id: 'stdio-toolgate-2025',
    label: 'stdio: client → toolgate run → echo (stdio, upstream pinned to 2025-11-25)',
    baseline: 'stdio-direct',
    start: (paths) => {
      const config = writeConfig(paths, 'stdio-2025', {
        command: process.execPath,
        args: [echoStdio(paths)],
        protocol: '2025-11-25',
      });
      return stdioTarget(
        [...gatewayNodeArgs(), toolgateBin(paths), 'run', '--no-lock', '--config', config],
        'bench__echo',
      );
    },
  },
  {
    id: 'http-direct',
    label: 'HTTP: client → echo (direct)',
    start: (paths) => httpTarget(paths, (port) => [echoHttp(paths), String(port)], 'echo'),
  },
  {
    id: 'http-toolgate-http',
    label: 'HTTP: client → toolgate serve → echo (HTTP)',
    baseline: 'http-direct',
    start: async (paths) => {
      const upstream = await startHttpEcho(paths);
      const config = writeConfig(paths, 'http-http', { url: upstream.url });
      return httpTarget(paths, (port) => serveArgs(paths, config, port), 'bench__echo', [
        upstream.child,
      ]);
    },
  },
  {
    id: 'http-toolgate-stdio',
    label: 'HTTP: client → toolgate serve → echo (stdio)',
    baseline: 'http-direct',
    start: (paths) => {
      const config = writeConfig(paths, 'http-stdio', {
        command: process.execPath,
        args: [echoStdio(paths)],
      });
      return httpTarget(paths, (port) => serveArgs(paths, config, port), 'bench__echo');
    },
  },
  {
    id: 'http-toolgate-stdio-2026',
    label: 'HTTP: client (2026-07-28, stateless) → toolgate serve → echo (stdio)',
    baseline: 'http-direct',
    start: (paths) => {
      const config = writeConfig(paths, 'http-stdio-2026', {
        command: process.execPath,
        args: [echoStdio(paths)],
      });
      return httpTarget(paths, (port) => serveArgs(paths, config, port), 'bench__echo', [], '2026');
    },
  },
  {
    id: 'http-mcp-proxy-stdio',
    label: 'HTTP: client → mcp-proxy → echo (stdio)',
    baseline: 'http-direct',
    start: (paths) =>
      httpTarget(
        paths,
        (port) => [
          mcpProxyBin(paths),
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
          '--server',
          'stream',
          '--endpoint',
          '/mcp',
          '--',
          process.execPath,
          echoStdio(paths),
        ],
        'echo',
      ),
  },
];
