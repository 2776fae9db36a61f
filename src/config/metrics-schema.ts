import { isIP } from 'node:net';
import { z } from 'zod';

/** Paths the HTTP front already serves: metrics must not shadow them. */
const TAKEN_PATHS = ['/mcp', '/healthz', '/readyz'];

/** One address or a CIDR block: `127.0.0.1`, `::1`, `10.0.0.0/8`, `fd00::/8`. */
const AddressRule = z
  .string()
  .refine((rule) => {
    const [ip = '', prefix, extra] = rule.split('/');
    const family = isIP(ip);
    if (family === 0 || extra !== undefined) return false;
    if (prefix === undefined) return true;
    const bits = Number(prefix);
    return /^\d{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
  }, 'an IP address or a CIDR block (10.0.0.0/8)')
  .describe('An IP address, or a CIDR block (10.0.0.0/8, fd00::/8).');

export const MetricsSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Serve Prometheus metrics (docs/operations.md); false turns the endpoint off.'),
    path: z
      .string()
      .regex(/^\/[A-Za-z0-9._~/-]*$/, 'a path starting with /')
      .refine((path) => !TAKEN_PATHS.includes(path), 'the path is taken by MCP or health checks')
      .default('/metrics')
      .describe('Where metrics are served (on the main listener, or on metrics.listen).'),
    listen: z
      .string()
      .regex(/^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?\d{1,5}$/, 'HOST:PORT or PORT')
      .optional()
      .describe(
        'HOST:PORT of a separate listener for metrics and health checks (a bare PORT is loopback); without it, they share the MCP listener.',
      ),
    allowFrom: z
      .array(AddressRule)
      .default(['127.0.0.1', '::1'])
      .describe(
        'Remote addresses allowed to read metrics (IPs or CIDR blocks); any other gets 403 HTTP_METRICS_FORBIDDEN. An empty list allows nobody.',
      ),
  })
  .describe(
    'Prometheus metrics of `toolgate serve`: calls, denials by code, latency, upstream restarts, audit lag.',
  );
