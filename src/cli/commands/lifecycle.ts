import type { GatewayRuntime } from '../../gateway/create-gateway.js';
import { logLine } from '../../log.js';

/** Signals that end the gateway cleanly; SIGHUP reloads the config instead. */
const TERMINATING = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;

/**
 * The process side of `run` and `serve`: SIGHUP reloads the config (reloads run one at a time; one
 * more is queued if a SIGHUP arrives during one); SIGTERM, SIGINT and SIGQUIT (and `shutdown`, e.g. on
 * stdin's end) shut the gateway down (`GatewayRuntime.shutdown`, closing the front with `closeFront`)
 * and exit 0. A second terminating signal during that exits 1 at once.
 */
export const superviseGateway = (
  runtime: GatewayRuntime,
  closeFront: () => Promise<void>,
): {
  readonly shutdown: (reason: string) => Promise<void>;
  /** What SIGHUP does, for other causes (a lock change another replica announced). */
  readonly reload: (why?: string) => void;
} => {
  let stopping = false;
  let signals = 0;
  let reloading: Promise<void> | undefined;
  let again = false;

  const reload = (why = 'SIGHUP') => {
    if (stopping) return logLine('warn', `${why} ignored: the gateway is shutting down`);
    if (reloading) {
      again = true;
      return;
    }
    logLine('info', `${why}: reloading the config`, { config: runtime.configPath });
    reloading = (async () => {
      do {
        again = false;
        await runtime.started();
        if (!stopping) await runtime.reload();
      } while (again && !stopping);
      reloading = undefined;
    })();
  };

  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    await runtime.shutdown(reason, closeFront);
    // Exits once the log lines have left (stderr may be a pipe).
    process.stderr.write('', () => process.exit(0));
  };

  process.on('SIGHUP', () => reload());
  for (const signal of TERMINATING)
    process.on(signal, () => {
      if (++signals > 1) {
        logLine(
          'warn',
          'second signal during shutdown: exiting now, without the final checkpoint',
          { signal },
        );
        process.exit(1);
      }
      void shutdown(signal);
    });
  return { shutdown, reload };
};
