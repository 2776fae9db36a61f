import type { Gateway } from '../gateway/gateway.js';
import { HttpError } from '../errors.js';
import { writeError } from './http-gates.js';
import { listenOn, type Listening } from './listen.js';
import { createOpsHandler, type OpsOptions } from './ops.js';

/**
 * The listener of `http.metrics.listen`: metrics (to `metrics.allowFrom`) and the health checks,
 * nothing else, so it can be opened to a scraper's network while MCP stays where it is.
 */
export const serveOps = (
  gateway: Gateway,
  listen: { host: string; port: number },
  ops: OpsOptions,
): Promise<Listening> => {
  const handle = createOpsHandler(gateway, ops);
  return listenOn(
    listen,
    (req, res) =>
      handle(req, res) ??
      Promise.resolve(
        writeError(
          res,
          new HttpError('HTTP_NOT_FOUND', 'this listener serves metrics and health checks only'),
        ),
      ),
    () => undefined,
    gateway.config.http.metrics.path,
  );
};
