import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * This process's name among the replicas: `TOOLGATE_REPLICA` (in Kubernetes, the pod's IP from the
 * downward API), else the host name; lowercased, anything but a-z 0-9 turned into `-`, at most 63
 * characters, so it is one DNS label an ingress can route to (`10.1.2.3` → `10-1-2-3`).
 */
export const replicaName = (
  env: string | undefined = process.env['TOOLGATE_REPLICA'],
  host: string = hostname(),
): string =>
  (env || host || 'toolgate')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '') || 'toolgate';

/**
 * A 2025-era session id that says which replica owns the session: `<replica>.<random UUID>`. The
 * random part is all that makes it unguessable; the prefix only lets an ingress route by it. A
 * replica answers an id it does not hold (another's, or one that died with its replica) with 404.
 */
export const mintSessionId = (replica: string): string => `${replica}.${randomUUID()}`;
