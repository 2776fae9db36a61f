import type { Scenario } from './clients.js';
import {
  echoStdio,
  gatewayNodeArgs,
  httpTarget,
  serveArgs,
  stdioTarget,
  toolgateBin,
  writeConfig,
} from './clients.js';

/**
 * The stdio gateway with some of its SDK fast paths switched off (`TOOLGATE_FAST_PATHS`, see
 * src/transport/sdk-internals.ts), to weigh what each earns against `stdio-toolgate` in the same
 * run. Run only when `--only` names them: `npm run bench -- --only
 * stdio-toolgate,fast-paths-off,… --no-write`.
 */
const variant = (id: string, label: string, on: string): Scenario => ({
  id,
  label: `stdio: client → toolgate run → echo (stdio), ${label}`,
  baseline: 'stdio-toolgate',
  start: (paths) => {
    const config = writeConfig(paths, id, {
      command: process.execPath,
      args: [echoStdio(paths)],
    });
    return stdioTarget(
      [...gatewayNodeArgs(), toolgateBin(paths), 'run', '--no-lock', '--config', config],
      'bench__echo',
      { TOOLGATE_FAST_PATHS: on },
    );
  },
});

export const FAST_PATH_SCENARIOS: readonly Scenario[] = [
  variant('fast-paths-off', 'every SDK fast path off', 'off'),
  variant('front-call-off', 'front-call off', 'upstream-request,result-schema'),
  variant('upstream-request-off', 'upstream-request off', 'front-call,result-schema'),
  variant('upstream-and-schema-off', 'upstream-request and result-schema off', 'front-call'),
  {
    // Against `http-toolgate-stdio-2026` in the same run: what the stateless HTTP fast path earns.
    id: 'stateless-call-off',
    label:
      'HTTP: client (2026-07-28, stateless) → toolgate serve → echo (stdio), stateless-call off',
    baseline: 'http-direct',
    start: (paths) => {
      const config = writeConfig(paths, 'stateless-call-off', {
        command: process.execPath,
        args: [echoStdio(paths)],
      });
      return httpTarget(
        paths,
        (port) => serveArgs(paths, config, port),
        'bench__echo',
        [],
        '2026',
        { TOOLGATE_FAST_PATHS: 'front-call,upstream-request,result-schema' },
      );
    },
  },
];
